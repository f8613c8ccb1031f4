//! Authorization: who may take which action, within which agency scope.
//!
//! Every use case starts by calling [`authorize`]. A role held at an agency covers that agency
//! and every agency under it (a role at the provincial people's committee covers its
//! departments). The policy is one table, [`role_permits`], tested as a matrix.

use lienthong_domain::role::{AccountKind, Role};
use lienthong_store::accounts::RoleGrant;

use crate::AppError;

/// The authenticated account behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Account id.
    pub account_id: String,
    /// Login name.
    pub username: String,
    /// Citizen, organisation or official.
    pub kind: AccountKind,
    /// Display name.
    pub full_name: String,
    /// Roles with their agencies.
    pub roles: Vec<RoleGrant>,
}

/// Who is calling: nobody in particular, or an account.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Caller {
    /// No credentials.
    #[default]
    Anonymous,
    /// A signed-in account.
    Account(Principal),
}

impl Caller {
    /// The principal, if signed in.
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Caller::Anonymous => None,
            Caller::Account(p) => Some(p),
        }
    }

    /// Actor string for audit rows.
    pub fn actor(&self) -> String {
        match self {
            Caller::Anonymous => "anonymous".into(),
            Caller::Account(p) => p.account_id.clone(),
        }
    }
}

/// Kinds of action, as named in the permission table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read public reference data (administrative units, agencies).
    ReadPublic,
    /// Register oneself as a citizen.
    RegisterCitizen,
    /// Read one's own account.
    ReadOwnAccount,
    /// Open the office (back-office) pages.
    UseOffice,
    /// Create accounts and grant roles within an agency.
    ManageAccounts,
    /// Change the organisation model of an agency (rename, merge, create sub-agencies).
    ManageOrganisation,
    /// Read the audit log of an agency.
    ReadAudit,
    /// Create and version procedures in the catalog.
    ManageCatalog,
    /// Submit a dossier as its applicant (citizens and organisations).
    SubmitDossier,
    /// Read the dossiers received by an agency.
    ReadDossiers,
    /// Read the aggregated reports and indicators of an agency.
    ReadReports,
}

impl Action {
    /// Every action, for matrix tests.
    pub const ALL: [Action; 11] = [
        Action::ReadPublic,
        Action::RegisterCitizen,
        Action::ReadOwnAccount,
        Action::UseOffice,
        Action::ManageAccounts,
        Action::ManageOrganisation,
        Action::ReadAudit,
        Action::ManageCatalog,
        Action::SubmitDossier,
        Action::ReadDossiers,
        Action::ReadReports,
    ];
}

/// Whether an official `role` may take `action` within its agency scope.
pub fn role_permits(role: Role, action: Action) -> bool {
    match action {
        Action::ReadPublic
        | Action::RegisterCitizen
        | Action::ReadOwnAccount
        | Action::UseOffice => true,
        Action::ManageAccounts | Action::ManageOrganisation | Action::ManageCatalog => {
            role == Role::Admin
        }
        Action::ReadAudit => matches!(role, Role::Admin | Role::Auditor),
        Action::SubmitDossier => false,
        Action::ReadDossiers => role != Role::Clerk,
        Action::ReadReports => true,
    }
}

/// The codes of an agency and of every agency above it, nearest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyScope {
    /// The agency and its ancestors.
    pub lineage: Vec<String>,
}

/// Decides whether `caller` may take `action`, on `scope` when the action concerns one agency.
/// Actions on an agency with no scope given are allowed to a role held anywhere.
pub fn authorize(
    caller: &Caller,
    action: Action,
    scope: Option<&AgencyScope>,
) -> Result<(), AppError> {
    if matches!(action, Action::ReadPublic | Action::RegisterCitizen) {
        return Ok(());
    }
    let principal = caller.principal().ok_or(AppError::Unauthenticated)?;
    if action == Action::ReadOwnAccount {
        return Ok(());
    }
    if action == Action::SubmitDossier {
        return if matches!(
            principal.kind,
            AccountKind::Citizen | AccountKind::Organisation
        ) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        };
    }
    let allowed = principal.roles.iter().any(|g| {
        role_permits(g.role, action)
            && scope.is_none_or(|s| s.lineage.iter().any(|c| c == &g.agency_code))
    });
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn official(role: Role, agency: &str) -> Caller {
        Caller::Account(Principal {
            account_id: "a".into(),
            username: "u".into(),
            kind: AccountKind::Official,
            full_name: "Cán bộ".into(),
            roles: vec![RoleGrant {
                role,
                agency_code: agency.into(),
            }],
        })
    }

    fn citizen() -> Caller {
        Caller::Account(Principal {
            account_id: "c".into(),
            username: "citizen1".into(),
            kind: AccountKind::Citizen,
            full_name: "Công dân".into(),
            roles: vec![],
        })
    }

    #[test]
    fn role_action_matrix_within_and_outside_scope() {
        let dept = AgencyScope {
            lineage: vec!["000.00.04.H13".into(), "000.00.00.H13".into()],
        };
        let other = AgencyScope {
            lineage: vec!["000.00.05.H13".into(), "000.00.00.H13".into()],
        };
        for role in Role::ALL {
            for action in Action::ALL {
                let inside = official(role, "000.00.04.H13");
                let expected = role_permits(role, action);
                let got = authorize(&inside, action, Some(&dept)).is_ok();
                assert_eq!(
                    got,
                    expected || action == Action::ReadPublic || action == Action::ReadOwnAccount,
                    "{role:?} {action:?} in own agency"
                );
                let outside = authorize(&inside, action, Some(&other)).is_ok();
                let public = matches!(
                    action,
                    Action::ReadPublic | Action::RegisterCitizen | Action::ReadOwnAccount
                );
                assert_eq!(outside, public, "{role:?} {action:?} in another agency");
                let from_parent = official(role, "000.00.00.H13");
                assert_eq!(
                    authorize(&from_parent, action, Some(&dept)).is_ok(),
                    expected || public,
                    "{role:?} {action:?} from the parent agency"
                );
            }
        }
    }

    #[test]
    fn anonymous_and_citizens_only_reach_public_and_own_data() {
        for action in Action::ALL {
            let anon = authorize(&Caller::Anonymous, action, None);
            let open = matches!(action, Action::ReadPublic | Action::RegisterCitizen);
            assert_eq!(anon.is_ok(), open);
            if !open {
                assert!(matches!(anon, Err(AppError::Unauthenticated)));
            }
            let c = authorize(&citizen(), action, None).is_ok();
            assert_eq!(
                c,
                matches!(
                    action,
                    Action::ReadPublic
                        | Action::RegisterCitizen
                        | Action::ReadOwnAccount
                        | Action::SubmitDossier
                ),
                "{action:?}"
            );
        }
    }
}
