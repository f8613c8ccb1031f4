//! The dossier life cycle: the actions of API-CONTRACT.md, which national status each one
//! leads to, who takes it, and the declarative step definitions ([`definition`]) that say
//! which official handles a dossier at each step.

pub mod definition;

use serde::{Deserialize, Serialize};

use crate::dossier::Status;

/// An action on a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DossierAction {
    /// Reception accepts an online dossier; the clock starts and the due date is fixed (Mẫu 01).
    Accept,
    /// Reception refuses it, with a reason (Mẫu 03).
    Refuse,
    /// An official asks the applicant to supplement or correct items (Mẫu 02).
    RequestSupplement,
    /// The applicant supplies the requested items.
    Supplement,
    /// The dossier moves on to the next step of its workflow.
    Forward,
    /// The dossier goes back to the step (or agency) it came from.
    SendBack,
    /// The dossier is sent to another agency for its part of the processing.
    Transfer,
    /// A leader approves; the result is issued.
    Approve,
    /// A leader decides not to grant; processing stops with a written reason.
    Reject,
    /// The handler apologises for a late dossier and sets a new date once (Mẫu 04).
    Apologize,
    /// Reception hands the result over at the desk, online or by post.
    ReturnResult,
    /// The applicant withdraws the dossier.
    Withdraw,
    /// The applicant rates the service once.
    Rate,
}

/// Where an action leaves the dossier's national status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The dossier takes this status.
    To(Status),
    /// The dossier returns to the status it had before a supplement request.
    Resume,
    /// The status does not change (a hand-over inside processing, an apology, a rating).
    Same,
}

/// Who takes an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The applicant of the dossier.
    Applicant,
    /// The official the current workflow step names.
    StepHandler,
}

impl DossierAction {
    /// Every action, in the order of API-CONTRACT.md.
    pub const ALL: [DossierAction; 13] = [
        DossierAction::Accept,
        DossierAction::Refuse,
        DossierAction::RequestSupplement,
        DossierAction::Supplement,
        DossierAction::Forward,
        DossierAction::SendBack,
        DossierAction::Transfer,
        DossierAction::Approve,
        DossierAction::Reject,
        DossierAction::Apologize,
        DossierAction::ReturnResult,
        DossierAction::Withdraw,
        DossierAction::Rate,
    ];

    /// Name as in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            DossierAction::Accept => "accept",
            DossierAction::Refuse => "refuse",
            DossierAction::RequestSupplement => "request_supplement",
            DossierAction::Supplement => "supplement",
            DossierAction::Forward => "forward",
            DossierAction::SendBack => "send_back",
            DossierAction::Transfer => "transfer",
            DossierAction::Approve => "approve",
            DossierAction::Reject => "reject",
            DossierAction::Apologize => "apologize",
            DossierAction::ReturnResult => "return_result",
            DossierAction::Withdraw => "withdraw",
            DossierAction::Rate => "rate",
        }
    }

    /// Parses an API name.
    pub fn parse(s: &str) -> Option<DossierAction> {
        DossierAction::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Vietnamese label, as on buttons.
    pub fn label_vi(self) -> &'static str {
        match self {
            DossierAction::Accept => "Tiếp nhận",
            DossierAction::Refuse => "Từ chối tiếp nhận",
            DossierAction::RequestSupplement => "Yêu cầu bổ sung",
            DossierAction::Supplement => "Bổ sung hồ sơ",
            DossierAction::Forward => "Chuyển bước tiếp",
            DossierAction::SendBack => "Trả lại bước trước",
            DossierAction::Transfer => "Chuyển cơ quan khác",
            DossierAction::Approve => "Phê duyệt",
            DossierAction::Reject => "Không phê duyệt",
            DossierAction::Apologize => "Xin lỗi, hẹn lại ngày trả",
            DossierAction::ReturnResult => "Trả kết quả",
            DossierAction::Withdraw => "Rút hồ sơ",
            DossierAction::Rate => "Đánh giá",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            DossierAction::Accept => "Accept",
            DossierAction::Refuse => "Refuse",
            DossierAction::RequestSupplement => "Request supplement",
            DossierAction::Supplement => "Supplement",
            DossierAction::Forward => "Forward",
            DossierAction::SendBack => "Send back",
            DossierAction::Transfer => "Transfer",
            DossierAction::Approve => "Approve",
            DossierAction::Reject => "Reject",
            DossierAction::Apologize => "Apologise and reschedule",
            DossierAction::ReturnResult => "Return result",
            DossierAction::Withdraw => "Withdraw",
            DossierAction::Rate => "Rate",
        }
    }

    /// Who takes the action.
    pub fn actor(self) -> Actor {
        match self {
            DossierAction::Supplement | DossierAction::Withdraw | DossierAction::Rate => {
                Actor::Applicant
            }
            _ => Actor::StepHandler,
        }
    }

    /// Whether the action needs a reason in its note.
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            DossierAction::Refuse
                | DossierAction::Withdraw
                | DossierAction::SendBack
                | DossierAction::Reject
        )
    }

    /// Where the action leads from `from`, or `None` when it is not allowed there.
    pub fn next(self, from: Status) -> Option<Transition> {
        use DossierAction as A;
        use Status as S;
        use Transition::{Resume, Same, To};
        match (self, from) {
            (A::Accept, S::Submitted) => Some(To(S::Accepted)),
            (A::Refuse, S::Submitted) => Some(To(S::Refused)),
            (A::RequestSupplement, S::Submitted | S::Accepted | S::Processing) => {
                Some(To(S::SupplementRequested))
            }
            (A::Supplement, S::SupplementRequested) => Some(Resume),
            (A::Forward, S::Accepted | S::Processing) => Some(To(S::Processing)),
            (A::SendBack | A::Transfer, S::Processing) => Some(Same),
            (A::Approve, S::Processing) => Some(To(S::Resolved)),
            (A::Reject, S::Processing) => Some(To(S::Stopped)),
            (A::Apologize, S::Accepted | S::Processing | S::SupplementRequested) => Some(Same),
            (A::ReturnResult, S::Resolved) => Some(To(S::Returned)),
            (A::Withdraw, S::Submitted | S::Accepted | S::Processing | S::SupplementRequested) => {
                Some(To(S::Withdrawn))
            }
            (A::Rate, S::Resolved | S::Returned) => Some(Same),
            _ => None,
        }
    }
}

/// Statuses in which the dossier is still with the administration (it counts in queues).
pub fn is_open(s: Status) -> bool {
    matches!(
        s,
        Status::Submitted
            | Status::Accepted
            | Status::Processing
            | Status::SupplementRequested
            | Status::PaymentRequested
            | Status::Resolved
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUSES: [Status; 10] = Status::ALL;

    fn status_after(a: DossierAction, s: Status) -> Status {
        match a.next(s) {
            Some(Transition::To(n)) => n,
            Some(Transition::Same) => s,
            other => panic!("{a:?} from {s:?}: {other:?}"),
        }
    }

    #[test]
    fn closed_statuses_allow_only_rating_and_the_happy_path_ends_returned() {
        for s in [Status::Refused, Status::Withdrawn, Status::Stopped] {
            assert!(
                DossierAction::ALL.iter().all(|a| a.next(s).is_none()),
                "{s:?}"
            );
        }
        let allowed: Vec<_> = DossierAction::ALL
            .into_iter()
            .filter(|a| a.next(Status::Returned).is_some())
            .collect();
        assert_eq!(allowed, [DossierAction::Rate]);
        let mut s = Status::Submitted;
        for a in [
            DossierAction::Accept,
            DossierAction::Forward,
            DossierAction::Forward,
            DossierAction::Approve,
            DossierAction::ReturnResult,
        ] {
            s = status_after(a, s);
        }
        assert_eq!(s, Status::Returned);
    }

    #[test]
    fn every_action_parses_back_and_is_usable_somewhere() {
        for a in DossierAction::ALL {
            assert_eq!(DossierAction::parse(a.as_str()), Some(a));
            let reachable = STATUSES.iter().filter(|s| a.next(**s).is_some()).count();
            assert!(reachable >= 1, "{a:?} is usable somewhere");
        }
        assert_eq!(DossierAction::parse("approve "), None);
    }

    #[test]
    fn a_supplement_resumes_and_the_applicant_takes_only_their_three_actions() {
        assert_eq!(
            DossierAction::Supplement.next(Status::SupplementRequested),
            Some(Transition::Resume)
        );
        let applicant: Vec<_> = DossierAction::ALL
            .into_iter()
            .filter(|a| a.actor() == Actor::Applicant)
            .collect();
        assert_eq!(
            applicant,
            [
                DossierAction::Supplement,
                DossierAction::Withdraw,
                DossierAction::Rate
            ]
        );
        // No withdrawal once the result is ready.
        assert_eq!(DossierAction::Withdraw.next(Status::Resolved), None);
    }
}
