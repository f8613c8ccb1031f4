//! The dossier life cycle: which action moves a dossier from which status to which, and who
//! may take it. Actions are named as in API-CONTRACT.md.

use serde::{Deserialize, Serialize};

use crate::{dossier::Status, role::Role};

/// An action on a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DossierAction {
    /// Reception accepts an online dossier; the clock starts and the due date is fixed.
    Accept,
    /// Reception refuses it, with a reason (Mẫu 03).
    Refuse,
    /// Reception hands an accepted dossier to processing.
    Forward,
    /// A leader approves the result.
    Approve,
    /// Reception hands the result over.
    ReturnResult,
    /// The applicant withdraws the dossier.
    Withdraw,
}

/// Who takes an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The applicant of the dossier.
    Applicant,
    /// An official holding one of these roles at the receiving agency (or above).
    Official(&'static [Role]),
}

impl DossierAction {
    /// Every action handled by the state machine.
    pub const ALL: [DossierAction; 6] = [
        DossierAction::Accept,
        DossierAction::Refuse,
        DossierAction::Forward,
        DossierAction::Approve,
        DossierAction::ReturnResult,
        DossierAction::Withdraw,
    ];

    /// Name as in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            DossierAction::Accept => "accept",
            DossierAction::Refuse => "refuse",
            DossierAction::Forward => "forward",
            DossierAction::Approve => "approve",
            DossierAction::ReturnResult => "return_result",
            DossierAction::Withdraw => "withdraw",
        }
    }

    /// Parses an API name.
    pub fn parse(s: &str) -> Option<DossierAction> {
        DossierAction::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Who may take the action.
    pub fn actor(self) -> Actor {
        match self {
            DossierAction::Accept
            | DossierAction::Refuse
            | DossierAction::Forward
            | DossierAction::ReturnResult => Actor::Official(&[Role::Reception]),
            DossierAction::Approve => Actor::Official(&[Role::Leader]),
            DossierAction::Withdraw => Actor::Applicant,
        }
    }

    /// Whether the action needs a reason in its note.
    pub fn needs_reason(self) -> bool {
        matches!(self, DossierAction::Refuse | DossierAction::Withdraw)
    }

    /// The status after taking the action in `from`, or `None` when it is not allowed there.
    pub fn next(self, from: Status) -> Option<Status> {
        use DossierAction as A;
        use Status as S;
        match (self, from) {
            (A::Accept, S::Submitted) => Some(S::Accepted),
            (A::Refuse, S::Submitted) => Some(S::Refused),
            (A::Forward, S::Accepted) => Some(S::Processing),
            (A::Approve, S::Processing) => Some(S::Resolved),
            (A::ReturnResult, S::Resolved) => Some(S::Returned),
            (A::Withdraw, S::Submitted | S::Accepted) => Some(S::Withdrawn),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUSES: [Status; 10] = [
        Status::Submitted,
        Status::Accepted,
        Status::Refused,
        Status::Processing,
        Status::SupplementRequested,
        Status::PaymentRequested,
        Status::Withdrawn,
        Status::Stopped,
        Status::Resolved,
        Status::Returned,
    ];

    #[test]
    fn final_statuses_allow_nothing_and_the_happy_path_ends_returned() {
        for s in [Status::Refused, Status::Withdrawn, Status::Returned] {
            assert!(
                DossierAction::ALL.iter().all(|a| a.next(s).is_none()),
                "{s:?}"
            );
        }
        let mut s = Status::Submitted;
        for a in [
            DossierAction::Accept,
            DossierAction::Forward,
            DossierAction::Approve,
            DossierAction::ReturnResult,
        ] {
            s = a.next(s).unwrap();
        }
        assert_eq!(s, Status::Returned);
        for a in DossierAction::ALL {
            assert_eq!(DossierAction::parse(a.as_str()), Some(a));
            let reachable = STATUSES.iter().filter(|s| a.next(**s).is_some()).count();
            assert!(reachable >= 1, "{a:?} is usable somewhere");
        }
    }
}
