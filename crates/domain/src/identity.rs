//! Identities of applicants and accounts: CCCD, tax code, phone, e-mail, username, password
//! policy. Each type can only hold a structurally valid value.

use std::fmt;

use serde::Serialize;

use crate::{DomainError, text::nfc};

/// The 63 pre-2025 GSO province codes. Identity numbers keep them after the 2025 merger
/// because numbers are not re-issued.
const BIRTH_PROVINCES: [u16; 63] = [
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37,
    38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77,
    79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
];

/// Sex encoded in the fourth digit of a CCCD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    /// Even century digit.
    Male,
    /// Odd century digit.
    Female,
}

/// A 12-digit personal identification number (CCCD / số định danh cá nhân):
/// `PPP G YY RRRRRR` — birth-registration province, century and sex, year of birth, sequence.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Cccd(String);

impl Cccd {
    /// Checks the structure of `input` (spaces are ignored). `current_year` bounds the year
    /// of birth so that a number cannot encode a birth in the future.
    pub fn parse(input: &str, current_year: i16) -> Result<Self, DomainError> {
        let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(DomainError::Cccd("digits"));
        }
        if s.len() != 12 {
            return Err(DomainError::Cccd("length"));
        }
        let province: u16 = s.get(0..3).and_then(|p| p.parse().ok()).unwrap_or(0);
        if !BIRTH_PROVINCES.contains(&province) {
            return Err(DomainError::Cccd("province"));
        }
        let value = Cccd(s);
        if value.birth_year() > current_year {
            return Err(DomainError::Cccd("birth year"));
        }
        Ok(value)
    }

    fn digit(&self, i: usize) -> i16 {
        self.0
            .as_bytes()
            .get(i)
            .map(|b| i16::from(b.saturating_sub(b'0')))
            .unwrap_or(0)
    }

    /// Year of birth encoded by digits 4–6.
    pub fn birth_year(&self) -> i16 {
        let century = 1900 + (self.digit(3) / 2) * 100;
        century + self.digit(4) * 10 + self.digit(5)
    }

    /// Sex encoded by digit 4.
    pub fn sex(&self) -> Sex {
        if self.digit(3) % 2 == 0 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The three-digit birth-registration province code.
    pub fn province_code(&self) -> &str {
        self.0.get(0..3).unwrap_or_default()
    }

    /// The number itself. Handle with care: never log it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A masked form safe to show on screens that need a hint (`092*******34`).
    pub fn masked(&self) -> String {
        let tail = self.0.get(10..).unwrap_or_default();
        format!("{}*******{}", self.province_code(), tail)
    }
}

impl fmt::Debug for Cccd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cccd({})", self.masked())
    }
}

/// A Vietnamese tax code: 10 digits with a check digit, or 13 digits for a dependent unit
/// (written `0123456789-001`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TaxCode(String);

const TAX_WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];

impl TaxCode {
    /// Checks length, digits and the check digit; returns the canonical form
    /// (`0123456789` or `0123456789-001`).
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        let (main, branch) = match s.split_once('-') {
            Some((m, b)) => (m.to_owned(), Some(b.to_owned())),
            None if s.len() == 13 => (
                s.get(..10).unwrap_or_default().to_owned(),
                s.get(10..).map(str::to_owned),
            ),
            None => (s.clone(), None),
        };
        let all_digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
        if !all_digits(&main) || !branch.as_deref().is_none_or(all_digits) {
            return Err(DomainError::TaxCode("digits"));
        }
        if main.len() != 10 || branch.as_ref().is_some_and(|b| b.len() != 3) {
            return Err(DomainError::TaxCode("length"));
        }
        let digits: Vec<u32> = main.bytes().map(|b| u32::from(b - b'0')).collect();
        let sum: u32 = digits.iter().zip(TAX_WEIGHTS).map(|(d, w)| d * w).sum();
        let check = 10 - (sum % 11);
        if check >= 10 || digits.get(9) != Some(&check) {
            return Err(DomainError::TaxCode("check digit"));
        }
        Ok(TaxCode(match branch {
            Some(b) => format!("{main}-{b}"),
            None => main,
        }))
    }

    /// The canonical form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Vietnamese phone number in national form (`0912345678`, `02923812345`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Accepts spaces, dots and dashes, and a `+84`/`84` prefix; requires a mobile number
    /// (10 digits, `03`/`05`/`07`/`08`/`09`) or a landline (11 digits starting `02`).
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let mut s: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
            .collect();
        if let Some(rest) = s.strip_prefix("+84").or_else(|| s.strip_prefix("0084")) {
            s = format!("0{rest}");
        } else if s.len() == 11 && s.starts_with("84") {
            s = format!("0{}", s.get(2..).unwrap_or_default());
        }
        let digits_only = s.chars().all(|c| c.is_ascii_digit());
        let mobile = s.len() == 10 && matches!(s.get(0..2), Some("03" | "05" | "07" | "08" | "09"));
        let landline = s.len() == 11 && s.starts_with("02");
        if digits_only && (mobile || landline) {
            Ok(Phone(s))
        } else {
            Err(DomainError::Phone)
        }
    }

    /// The national form. Never log it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({}…)", self.0.get(0..3).unwrap_or_default())
    }
}

/// An e-mail address, structurally checked and lower-cased in its domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Accepts `local@domain.tld` with an ASCII domain; at most 254 characters.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let s = input.trim();
        let (local, domain) = s.rsplit_once('@').ok_or(DomainError::Email)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if s.len() <= 254 && local_ok && domain_ok {
            Ok(Email(format!("{local}@{}", domain.to_ascii_lowercase())))
        } else {
            Err(DomainError::Email)
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A login name: 3–64 characters of unaccented letters, digits, `.`, `_`, `-`, `@`;
/// compared case-insensitively (stored lower-case).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Checks and lower-cases `input`.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let s = input.trim().to_ascii_lowercase();
        let ok = (3..=64).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
        if ok {
            Ok(Username(s))
        } else {
            Err(DomainError::Username)
        }
    }

    /// The canonical (lower-case) name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks the password policy: 10 to 256 characters after NFC normalisation.
pub fn check_password_policy(password: &str) -> Result<(), DomainError> {
    let n = password.chars().count();
    if (10..=256).contains(&n) {
        Ok(())
    } else {
        Err(DomainError::Password)
    }
}

/// A required, NFC-normalised text of at most `max` characters.
pub fn required_text(input: &str, max: usize) -> Result<String, DomainError> {
    let s = nfc(input);
    let n = s.chars().count();
    if n == 0 || n > max {
        Err(DomainError::Text { max })
    } else {
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cccd_structure_is_checked() {
        let c = Cccd::parse("092 095 001234", 2026).unwrap();
        assert_eq!(c.birth_year(), 1995);
        assert_eq!(c.sex(), Sex::Male);
        assert_eq!(c.province_code(), "092");
        assert_eq!(c.masked(), "092*******34");
        let f = Cccd::parse("001301001234", 2026).unwrap();
        assert_eq!((f.birth_year(), f.sex()), (2001, Sex::Female));
        assert_eq!(
            Cccd::parse("09209500123", 2026),
            Err(DomainError::Cccd("length"))
        );
        assert_eq!(
            Cccd::parse("09209500123a", 2026),
            Err(DomainError::Cccd("digits"))
        );
        assert_eq!(
            Cccd::parse("003095001234", 2026),
            Err(DomainError::Cccd("province"))
        );
        assert_eq!(
            Cccd::parse("092230001234", 2026),
            Err(DomainError::Cccd("birth year"))
        );
        assert!(!format!("{c:?}").contains("095001234"));
    }

    #[test]
    fn tax_code_check_digit() {
        assert_eq!(TaxCode::parse("0100109106").unwrap().as_str(), "0100109106");
        assert_eq!(
            TaxCode::parse("0100109106-001").unwrap().as_str(),
            "0100109106-001"
        );
        assert_eq!(
            TaxCode::parse("0100109106001").unwrap().as_str(),
            "0100109106-001"
        );
        assert_eq!(
            TaxCode::parse("0100109107"),
            Err(DomainError::TaxCode("check digit"))
        );
        assert_eq!(
            TaxCode::parse("010010910"),
            Err(DomainError::TaxCode("length"))
        );
        assert_eq!(
            TaxCode::parse("01001O9106"),
            Err(DomainError::TaxCode("digits"))
        );
    }

    #[test]
    fn phones_are_normalised() {
        assert_eq!(
            Phone::parse("+84 912 345 678").unwrap().as_str(),
            "0912345678"
        );
        assert_eq!(Phone::parse("0912.345.678").unwrap().as_str(), "0912345678");
        assert_eq!(
            Phone::parse("02923 812 345").unwrap().as_str(),
            "02923812345"
        );
        assert!(Phone::parse("0112345678").is_err());
        assert!(Phone::parse("091234567").is_err());
        assert!(Phone::parse("hello").is_err());
    }

    #[test]
    fn emails_are_checked() {
        assert_eq!(
            Email::parse("An.Nguyen@CanTho.Gov.VN").unwrap().as_str(),
            "An.Nguyen@cantho.gov.vn"
        );
        for bad in [
            "",
            "a@b",
            "@b.vn",
            "a b@c.vn",
            "a@-b.vn",
            "a..b@c.vn",
            "ngườidùng@c.vn",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn usernames_and_passwords() {
        assert_eq!(
            Username::parse(" Leader@000.00.01.H13 ").unwrap().as_str(),
            "leader@000.00.01.h13"
        );
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("người").is_err());
        assert!(check_password_policy("short").is_err());
        assert!(check_password_policy("lienthong-demo").is_ok());
    }
}
