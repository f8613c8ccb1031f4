//! The organisation model: administrative units and agencies, both effective-dated.
//!
//! A unit or agency is a sequence of *versions*, each valid over a half-open interval of
//! business dates `[valid_from, valid_to)`. Renames and merges close a version and open
//! another; they never rewrite a closed one, so anything that points at a version keeps
//! showing the organisation as it was.

use std::{fmt, str::FromStr};

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::DomainError;

/// Tier of an administrative unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitLevel {
    /// Province or centrally-run city (tỉnh, thành phố trực thuộc trung ương).
    Province,
    /// District (huyện, quận, thị xã, thành phố thuộc tỉnh) — abolished on 2025-07-01.
    District,
    /// Commune, ward or special zone (xã, phường, đặc khu, thị trấn).
    Commune,
}

impl UnitLevel {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitLevel::Province => "province",
            UnitLevel::District => "district",
            UnitLevel::Commune => "commune",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "province" => Some(UnitLevel::Province),
            "district" => Some(UnitLevel::District),
            "commune" => Some(UnitLevel::Commune),
            _ => None,
        }
    }

    /// Number of digits of a GSO code at this level.
    pub fn code_width(self) -> usize {
        match self {
            UnitLevel::Province => 2,
            UnitLevel::District => 3,
            UnitLevel::Commune => 5,
        }
    }

    /// Checks that `code` is a GSO code of this level.
    pub fn check_code(self, code: &str) -> Result<(), DomainError> {
        if code.len() == self.code_width() && code.chars().all(|c| c.is_ascii_digit()) {
            Ok(())
        } else {
            Err(DomainError::AdminUnitCode)
        }
    }
}

/// A half-open validity interval of business dates; `None` means unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validity {
    /// First day of validity, or unknown/unbounded.
    pub from: Option<Date>,
    /// First day on which the version is no longer valid.
    pub to: Option<Date>,
}

impl Validity {
    /// Builds an interval, rejecting one that ends before (or when) it starts.
    pub fn new(from: Option<Date>, to: Option<Date>) -> Result<Self, DomainError> {
        match (from, to) {
            (Some(f), Some(t)) if t <= f => Err(DomainError::Interval),
            _ => Ok(Validity { from, to }),
        }
    }

    /// Whether `day` falls in the interval.
    pub fn contains(&self, day: Date) -> bool {
        self.from.is_none_or(|f| f <= day) && self.to.is_none_or(|t| day < t)
    }
}

/// Level of an agency in the state apparatus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyLevel {
    /// Ministry or central agency.
    Central,
    /// Province level (people's committee, departments, service centre).
    Province,
    /// District level (before 2025-07-01).
    District,
    /// Commune level.
    Commune,
}

impl AgencyLevel {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AgencyLevel::Central => "central",
            AgencyLevel::Province => "province",
            AgencyLevel::District => "district",
            AgencyLevel::Commune => "commune",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "central" => Some(AgencyLevel::Central),
            "province" => Some(AgencyLevel::Province),
            "district" => Some(AgencyLevel::District),
            "commune" => Some(AgencyLevel::Commune),
            _ => None,
        }
    }
}

/// A national agency identifier (mã định danh cơ quan, QĐ 20/2020/QĐ-TTg): at most 35
/// characters of `0-9`, `A-Z` and `.`. Stored as an opaque string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AgencyCode(String);

impl AgencyCode {
    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Splits the legacy four-group form `XXX.YY.ZZ.Mnn` (QCVN 102:2016), read right to left.
    pub fn legacy_groups(&self) -> Option<LegacyAgencyCode<'_>> {
        let mut it = self.0.split('.');
        let (l4, l3, l2, l1) = (it.next()?, it.next()?, it.next()?, it.next()?);
        let digits = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_digit());
        let mut l1c = l1.chars();
        let l1_ok = l1.len() == 3
            && l1c
                .next()
                .is_some_and(|c| c.is_ascii_uppercase() && c != 'Z')
            && l1c.all(|c| c.is_ascii_digit());
        if it.next().is_none() && digits(l4, 3) && digits(l3, 2) && digits(l2, 2) && l1_ok {
            Some(LegacyAgencyCode {
                level1: l1,
                level2: l2,
                level3: l3,
                level4: l4,
            })
        } else {
            None
        }
    }
}

/// The groups of a legacy agency code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegacyAgencyCode<'a> {
    /// Ministry/province group, e.g. `H13`.
    pub level1: &'a str,
    /// Unit under level 1, `00` for the level-1 organ itself.
    pub level2: &'a str,
    /// Level-3 unit.
    pub level3: &'a str,
    /// Level-4 unit.
    pub level4: &'a str,
}

impl FromStr for AgencyCode {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let ok = !s.is_empty()
            && s.len() <= 35
            && !s.starts_with('.')
            && !s.ends_with('.')
            && !s.contains("..")
            && s.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase() || c == '.');
        if ok {
            Ok(AgencyCode(s.to_owned()))
        } else {
            Err(DomainError::AgencyCode)
        }
    }
}

impl TryFrom<String> for AgencyCode {
    type Error = DomainError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<AgencyCode> for String {
    fn from(value: AgencyCode) -> Self {
        value.0
    }
}

impl fmt::Display for AgencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How one organisation version became another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuccessionKind {
    /// Same organisation, new name or attributes.
    Rename,
    /// The whole predecessor was absorbed by the successor.
    Full,
    /// Part of the predecessor went to the successor.
    Partial,
}

impl SuccessionKind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SuccessionKind::Rename => "rename",
            SuccessionKind::Full => "full",
            SuccessionKind::Partial => "partial",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "rename" => Some(SuccessionKind::Rename),
            "full" => Some(SuccessionKind::Full),
            "partial" => Some(SuccessionKind::Partial),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn agency_codes() {
        let c: AgencyCode = "000.00.14.H20".parse().unwrap();
        let g = c.legacy_groups().unwrap();
        assert_eq!(
            (g.level1, g.level2, g.level3, g.level4),
            ("H20", "14", "00", "000")
        );
        let modern: AgencyCode = "H13.22.5".parse().unwrap();
        assert!(modern.legacy_groups().is_none());
        for bad in ["", "000.00.14.h20", "A..B", ".A", "Á", &"1".repeat(36)] {
            assert!(bad.parse::<AgencyCode>().is_err(), "{bad}");
        }
    }

    #[test]
    fn validity_is_half_open() {
        let v = Validity::new(Some(date(2025, 3, 1)), Some(date(2025, 7, 1))).unwrap();
        assert!(v.contains(date(2025, 3, 1)));
        assert!(v.contains(date(2025, 6, 30)));
        assert!(!v.contains(date(2025, 7, 1)));
        assert!(!v.contains(date(2025, 2, 28)));
        assert!(Validity::new(Some(date(2025, 7, 1)), Some(date(2025, 7, 1))).is_err());
        assert!(
            Validity::new(None, None)
                .unwrap()
                .contains(date(1900, 1, 1))
        );
    }
}
