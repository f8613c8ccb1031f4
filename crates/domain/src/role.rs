//! Account kinds and official roles.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// What an account represents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// A citizen identified by CCCD.
    Citizen,
    /// A business or other organisation identified by tax code.
    Organisation,
    /// A civil servant attached to an agency.
    Official,
}

impl AccountKind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Citizen => "citizen",
            AccountKind::Organisation => "organisation",
            AccountKind::Official => "official",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "citizen" => Some(AccountKind::Citizen),
            "organisation" => Some(AccountKind::Organisation),
            "official" => Some(AccountKind::Official),
            _ => None,
        }
    }
}

/// A role an official holds within an agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// One-stop reception desk (bộ phận tiếp nhận và trả kết quả).
    Reception,
    /// Specialist who processes dossiers (chuyên viên thụ lý).
    Specialist,
    /// Leader who approves (lãnh đạo).
    Leader,
    /// Clerk of the document register (văn thư).
    Clerk,
    /// Administrator of the agency's data and accounts.
    Admin,
    /// Auditor: reads the audit log and reports, changes nothing.
    Auditor,
}

impl Role {
    /// Every role, in display order.
    pub const ALL: [Role; 6] = [
        Role::Reception,
        Role::Specialist,
        Role::Leader,
        Role::Clerk,
        Role::Admin,
        Role::Auditor,
    ];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reception => "reception",
            Role::Specialist => "specialist",
            Role::Leader => "leader",
            Role::Clerk => "clerk",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
        }
    }

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Role::Reception => "Tiếp nhận và trả kết quả",
            Role::Specialist => "Chuyên viên thụ lý",
            Role::Leader => "Lãnh đạo",
            Role::Clerk => "Văn thư",
            Role::Admin => "Quản trị",
            Role::Auditor => "Kiểm tra, giám sát",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Role::Reception => "Reception desk",
            Role::Specialist => "Specialist",
            Role::Leader => "Leader",
            Role::Clerk => "Clerk",
            Role::Admin => "Administrator",
            Role::Auditor => "Auditor",
        }
    }
}

impl FromStr for Role {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or(DomainError::Role)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
