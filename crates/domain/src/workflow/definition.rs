//! Declarative workflow definitions (TOML): the steps a dossier goes through, who handles it
//! at each step and where, how long each step may take, and the actions allowed there.
//!
//! ```toml
//! name = "Một cửa → chuyên viên → lãnh đạo → một cửa"
//!
//! [[step]]
//! id = "reception"
//! name = "Tiếp nhận"
//! role = "reception"
//! actions = ["accept", "refuse", "request_supplement", "forward"]
//! next = "specialist"
//! ```
//!
//! A definition is checked when it is loaded; every problem names the line it is on.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use toml::Spanned;

use crate::{org::AgencyCode, role::Role, workflow::DossierAction};

/// Where the official of a step works, relative to the dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgencyRule {
    /// The agency that received the dossier.
    Receiving,
    /// The parent of the receiving agency (e.g. the department above a division).
    Parent,
    /// The people's committee of the commune in the applicant's address.
    ApplicantCommune,
    /// A named agency.
    Fixed(String),
}

impl AgencyRule {
    fn parse(s: &str) -> Option<AgencyRule> {
        match s {
            "receiving" => Some(AgencyRule::Receiving),
            "parent" => Some(AgencyRule::Parent),
            "applicant_commune" => Some(AgencyRule::ApplicantCommune),
            other => other
                .parse::<AgencyCode>()
                .ok()
                .map(|c| AgencyRule::Fixed(c.as_str().to_owned())),
        }
    }
}

/// One step of a workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Identifier, unique in the workflow.
    pub id: String,
    /// Name shown to officials.
    pub name: String,
    /// The role that handles the dossier at this step.
    pub role: Role,
    /// Where that official works.
    pub agency: AgencyRule,
    /// Working days the step may take; `None`: up to the dossier's due date.
    pub days: Option<f64>,
    /// Actions the handler may take here.
    pub actions: Vec<DossierAction>,
    /// The step `forward` (or `approve`) leads to.
    pub next: Option<String>,
}

/// A checked workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    /// Name.
    pub name: String,
    /// Steps; the first is where dossiers arrive.
    pub steps: Vec<Step>,
    /// Line of each step's `id`, for later checks against a procedure.
    lines: Vec<usize>,
}

/// A problem in a definition, with the line (1-based) it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    /// Line in the source.
    pub line: usize,
    /// Vietnamese message.
    pub vi: String,
    /// English message.
    pub en: String,
}

impl std::fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "dòng {}: {} / line {}: {}",
            self.line, self.vi, self.line, self.en
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkflow {
    name: Spanned<String>,
    #[serde(default)]
    step: Vec<Spanned<RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    id: Spanned<String>,
    #[serde(default)]
    name: Option<String>,
    role: Spanned<String>,
    #[serde(default)]
    agency: Option<Spanned<String>>,
    #[serde(default)]
    days: Option<Spanned<f64>>,
    actions: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    next: Option<Spanned<String>>,
}

/// The default flow: reception → specialist → leader → reception, all at the receiving agency.
pub const DEFAULT_TOML: &str = include_str!("default.toml");

struct Lines<'a>(&'a str);

impl Lines<'_> {
    fn of(&self, span: std::ops::Range<usize>) -> usize {
        let end = span.start.min(self.0.len());
        self.0
            .get(..end)
            .map_or(1, |s| s.bytes().filter(|b| *b == b'\n').count() + 1)
    }
}

fn err(line: usize, vi: String, en: String) -> DefinitionError {
    DefinitionError { line, vi, en }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 40
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

impl Workflow {
    /// Parses and checks a TOML definition. All problems are returned, each with its line.
    pub fn parse(text: &str) -> Result<Workflow, Vec<DefinitionError>> {
        let lines = Lines(text);
        let raw: RawWorkflow = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| lines.of(s));
            vec![err(
                line,
                format!("Sai cú pháp TOML: {}", e.message()),
                format!("TOML syntax error: {}", e.message()),
            )]
        })?;
        let mut errors = Vec::new();
        let name = crate::text::nfc(raw.name.get_ref().trim());
        if name.is_empty() || name.chars().count() > 200 {
            errors.push(err(
                lines.of(raw.name.span()),
                "Tên luồng xử lý phải có từ 1 đến 200 ký tự.".into(),
                "The workflow name must have 1 to 200 characters.".into(),
            ));
        }
        if raw.step.is_empty() {
            errors.push(err(
                1,
                "Luồng xử lý phải có ít nhất một bước ([[step]]).".into(),
                "A workflow needs at least one step ([[step]]).".into(),
            ));
        }
        let mut steps = Vec::new();
        let mut step_lines = Vec::new();
        let mut seen = BTreeSet::new();
        for (i, s) in raw.step.iter().enumerate() {
            let s = s.get_ref();
            let id_line = lines.of(s.id.span());
            let id = s.id.get_ref().clone();
            if !valid_id(&id) {
                errors.push(err(
                    id_line,
                    format!("Mã bước \"{id}\" chỉ gồm chữ thường không dấu, số, '_' hoặc '-' (tối đa 40)."),
                    format!("Step id \"{id}\" must be lowercase ASCII letters, digits, '_' or '-' (at most 40)."),
                ));
            }
            if !seen.insert(id.clone()) {
                errors.push(err(
                    id_line,
                    format!("Mã bước \"{id}\" bị trùng."),
                    format!("Step id \"{id}\" is used twice."),
                ));
            }
            let role = match s.role.get_ref().parse::<Role>().ok() {
                Some(r @ (Role::Reception | Role::Specialist | Role::Leader)) => r,
                Some(r) => {
                    errors.push(err(
                        lines.of(s.role.span()),
                        format!("Vai trò \"{}\" không xử lý hồ sơ.", r.as_str()),
                        format!("Role \"{}\" does not handle dossiers.", r.as_str()),
                    ));
                    r
                }
                None => {
                    errors.push(err(
                        lines.of(s.role.span()),
                        format!(
                            "Vai trò \"{}\" không tồn tại (reception, specialist, leader).",
                            s.role.get_ref()
                        ),
                        format!(
                            "Unknown role \"{}\" (reception, specialist, leader).",
                            s.role.get_ref()
                        ),
                    ));
                    Role::Specialist
                }
            };
            let agency = match &s.agency {
                None => AgencyRule::Receiving,
                Some(a) => AgencyRule::parse(a.get_ref()).unwrap_or_else(|| {
                    errors.push(err(
                        lines.of(a.span()),
                        format!(
                            "Cơ quan \"{}\" không hợp lệ: dùng receiving, parent, applicant_commune hoặc một mã định danh cơ quan.",
                            a.get_ref()
                        ),
                        format!(
                            "Agency \"{}\" is not valid: use receiving, parent, applicant_commune or an agency code.",
                            a.get_ref()
                        ),
                    ));
                    AgencyRule::Receiving
                }),
            };
            let days = s.days.as_ref().and_then(|d| {
                let v = *d.get_ref();
                if v > 0.0 && v <= 365.0 && (v * 2.0).fract() == 0.0 {
                    Some(v)
                } else {
                    errors.push(err(
                        lines.of(d.span()),
                        format!("Thời hạn {v} không hợp lệ: từ 0,5 đến 365 ngày, theo nửa ngày."),
                        format!("Duration {v} is not valid: 0.5 to 365 days, in halves."),
                    ));
                    None
                }
            });
            let mut actions = Vec::new();
            for a in s.actions.get_ref() {
                let line = lines.of(a.span());
                match DossierAction::parse(a.get_ref()) {
                    None => errors.push(err(
                        line,
                        format!("Thao tác \"{}\" không tồn tại.", a.get_ref()),
                        format!("Unknown action \"{}\".", a.get_ref()),
                    )),
                    Some(act) if act.actor() == super::Actor::Applicant => errors.push(err(
                        line,
                        format!(
                            "Thao tác \"{}\" do người nộp thực hiện, không khai ở bước.",
                            a.get_ref()
                        ),
                        format!(
                            "Action \"{}\" is the applicant's, not a step's.",
                            a.get_ref()
                        ),
                    )),
                    Some(act @ (DossierAction::Accept | DossierAction::Refuse)) if i > 0 => errors
                        .push(err(
                            line,
                            format!(
                                "Thao tác \"{}\" chỉ có ở bước đầu tiên (tiếp nhận).",
                                act.as_str()
                            ),
                            format!(
                                "Action \"{}\" belongs to the first (reception) step only.",
                                act.as_str()
                            ),
                        )),
                    Some(act) if actions.contains(&act) => errors.push(err(
                        line,
                        format!("Thao tác \"{}\" bị khai hai lần.", act.as_str()),
                        format!("Action \"{}\" is listed twice.", act.as_str()),
                    )),
                    Some(act) => actions.push(act),
                }
            }
            steps.push(Step {
                id,
                name: s
                    .name
                    .as_deref()
                    .map(crate::text::nfc)
                    .unwrap_or_else(|| s.id.get_ref().clone()),
                role,
                agency,
                days,
                actions,
                next: s.next.as_ref().map(|n| n.get_ref().clone()),
            });
            step_lines.push(id_line);
        }
        let wf = Workflow {
            name,
            steps,
            lines: step_lines,
        };
        wf.check_graph(&raw, &lines, &mut errors);
        if errors.is_empty() {
            Ok(wf)
        } else {
            errors.sort_by_key(|e| e.line);
            Err(errors)
        }
    }

    fn check_graph(&self, raw: &RawWorkflow, lines: &Lines<'_>, errors: &mut Vec<DefinitionError>) {
        let index: BTreeMap<&str, usize> = self
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        for (i, (s, r)) in self.steps.iter().zip(&raw.step).enumerate() {
            let line = self.lines.get(i).copied().unwrap_or(1);
            if let Some(n) = &r.get_ref().next {
                if !index.contains_key(n.get_ref().as_str()) {
                    errors.push(err(
                        lines.of(n.span()),
                        format!("Bước tiếp \"{}\" không tồn tại.", n.get_ref()),
                        format!("Next step \"{}\" does not exist.", n.get_ref()),
                    ));
                }
            } else if s
                .actions
                .iter()
                .any(|a| matches!(a, DossierAction::Forward | DossierAction::Approve))
            {
                errors.push(err(
                    line,
                    format!(
                        "Bước \"{}\" chuyển tiếp hoặc phê duyệt nhưng thiếu \"next\".",
                        s.id
                    ),
                    format!(
                        "Step \"{}\" forwards or approves but has no \"next\".",
                        s.id
                    ),
                ));
            }
            if s.actions.contains(&DossierAction::Approve)
                && let Some(target) = s.next.as_deref().and_then(|n| self.step(n))
                && !target.actions.contains(&DossierAction::ReturnResult)
            {
                errors.push(err(
                    line,
                    format!(
                        "Sau phê duyệt ở bước \"{}\", bước \"{}\" phải có return_result.",
                        s.id, target.id
                    ),
                    format!(
                        "After approval at \"{}\", step \"{}\" must allow return_result.",
                        s.id, target.id
                    ),
                ));
            }
        }
        if let Some(first) = self.steps.first()
            && !first.actions.contains(&DossierAction::Accept)
        {
            errors.push(err(
                self.lines.first().copied().unwrap_or(1),
                "Bước đầu tiên phải cho phép tiếp nhận (accept).".into(),
                "The first step must allow accept.".into(),
            ));
        }
        // Walk the `next` links from the first step: every step must be reached, once.
        let mut reached = BTreeSet::new();
        let mut at = self.steps.first().map(|s| s.id.as_str());
        while let Some(id) = at {
            if !reached.insert(id) {
                let line = index
                    .get(id)
                    .and_then(|i| self.lines.get(*i))
                    .copied()
                    .unwrap_or(1);
                errors.push(err(
                    line,
                    format!("Các bước tạo thành vòng lặp tại \"{id}\"."),
                    format!("The steps loop back to \"{id}\"."),
                ));
                break;
            }
            at = self.step(id).and_then(|s| s.next.as_deref());
        }
        for (s, line) in self.steps.iter().zip(&self.lines) {
            if !reached.contains(s.id.as_str()) {
                errors.push(err(
                    *line,
                    format!("Bước \"{}\" không bao giờ đến được từ bước đầu tiên.", s.id),
                    format!(
                        "Step \"{}\" can never be reached from the first step.",
                        s.id
                    ),
                ));
            }
        }
        if !self.steps.is_empty() {
            for (needed, vi, en) in [
                (DossierAction::Approve, "phê duyệt (approve)", "approve"),
                (
                    DossierAction::ReturnResult,
                    "trả kết quả (return_result)",
                    "return_result",
                ),
            ] {
                if !self.steps.iter().any(|s| s.actions.contains(&needed)) {
                    errors.push(err(
                        1,
                        format!("Không bước nào cho phép {vi}."),
                        format!("No step allows {en}."),
                    ));
                }
            }
        }
    }

    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// The first step (reception).
    pub fn first(&self) -> Option<&Step> {
        self.steps.first()
    }

    /// Checks the step durations against a procedure's processing time in working days: the
    /// steps up to approval may not take longer than the procedure (steps without a duration
    /// run until the dossier's due date).
    pub fn check_duration(&self, total_days: f64) -> Vec<DefinitionError> {
        let mut sum = 0.0;
        let mut at = self.first();
        let mut guard = 0;
        while let Some(s) = at {
            guard += 1;
            if guard > self.steps.len() {
                break;
            }
            let line = self
                .steps
                .iter()
                .position(|x| x.id == s.id)
                .and_then(|i| self.lines.get(i))
                .copied()
                .unwrap_or(1);
            sum += s.days.unwrap_or(0.0);
            if sum > total_days {
                return vec![err(
                    line,
                    format!(
                        "Tổng thời hạn các bước đến \"{}\" ({sum} ngày) vượt thời hạn giải quyết của thủ tục ({total_days} ngày).",
                        s.id
                    ),
                    format!(
                        "The steps up to \"{}\" take {sum} days, more than the procedure's {total_days}.",
                        s.id
                    ),
                )];
            }
            if s.actions.contains(&DossierAction::Approve) {
                break;
            }
            at = s.next.as_deref().and_then(|n| self.step(n));
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<(usize, String)> {
        Workflow::parse(text)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.line, e.en))
            .collect()
    }

    #[test]
    fn the_default_flow_is_valid_and_goes_reception_specialist_leader_reception() {
        let wf = Workflow::parse(DEFAULT_TOML).unwrap();
        let path: Vec<_> = wf.steps.iter().map(|s| (s.id.as_str(), s.role)).collect();
        assert_eq!(
            path,
            [
                ("reception", Role::Reception),
                ("specialist", Role::Specialist),
                ("leader", Role::Leader),
                ("return", Role::Reception)
            ]
        );
        assert!(wf.check_duration(0.5).is_empty(), "no step durations");
    }

    const BASE: &str = r#"name = "t"
[[step]]
id = "a"
role = "reception"
actions = ["accept", "forward"]
next = "b"
[[step]]
id = "b"
role = "leader"
days = 2
actions = ["approve"]
next = "c"
[[step]]
id = "c"
role = "reception"
actions = ["return_result"]
"#;

    #[test]
    fn problems_name_their_line() {
        assert!(errors(BASE).is_empty(), "{:?}", errors(BASE));
        let e = errors(&BASE.replace("role = \"leader\"", "role = \"boss\""));
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].0, 9);
        assert!(e[0].1.contains("Unknown role"), "{e:?}");
        let e = errors(&BASE.replace("next = \"b\"", "next = \"x\""));
        assert_eq!(e[0].0, 6, "{e:?}");
        let e = errors(&BASE.replace("days = 2", "days = 0.3"));
        assert_eq!(
            e,
            [(
                10,
                "Duration 0.3 is not valid: 0.5 to 365 days, in halves.".into()
            )]
        );
        let e = errors(&BASE.replace("[\"approve\"]", "[\"approve\", \"fly\"]"));
        assert_eq!(e[0].0, 11, "{e:?}");
        let e = errors("name = \"t\"\n[[step]\nid = 1");
        assert_eq!(e[0].0, 2, "{e:?}");
        let e = errors(&BASE.replace("role = \"leader\"", "role = \"auditor\""));
        assert!(e[0].1.contains("does not handle dossiers"), "{e:?}");
        let e = errors(&format!("{BASE}colour = \"red\"\n"));
        assert!(!e.is_empty());
    }

    #[test]
    fn unreachable_steps_loops_and_misplaced_actions_are_refused() {
        let orphan = format!(
            "{BASE}[[step]]\nid = \"d\"\nrole = \"specialist\"\nactions = [\"forward\"]\nnext = \"c\"\n"
        );
        let e = errors(&orphan);
        assert_eq!(
            e,
            [(
                18,
                "Step \"d\" can never be reached from the first step.".into()
            )]
        );
        let looped = BASE.replace(
            "actions = [\"return_result\"]",
            "actions = [\"return_result\", \"forward\"]\nnext = \"a\"",
        );
        assert!(
            errors(&looped).iter().any(|(_, m)| m.contains("loop")),
            "{:?}",
            errors(&looped)
        );
        let late_accept = BASE.replace("[\"approve\"]", "[\"approve\", \"accept\"]");
        assert!(
            errors(&late_accept)
                .iter()
                .any(|(_, m)| m.contains("first"))
        );
        let applicant = BASE.replace("[\"approve\"]", "[\"approve\", \"rate\"]");
        assert!(
            errors(&applicant)
                .iter()
                .any(|(_, m)| m.contains("applicant"))
        );
        let dup = BASE.replace("id = \"b\"", "id = \"a\"");
        assert!(
            errors(&dup)
                .iter()
                .any(|(l, m)| *l == 8 && m.contains("twice"))
        );
        let no_return = BASE.replace("[\"return_result\"]", "[\"send_back\"]");
        assert!(
            errors(&no_return)
                .iter()
                .any(|(_, m)| m.contains("return_result"))
        );
        assert!(!errors("name = \"t\"\n").is_empty());
    }

    #[test]
    fn durations_may_not_exceed_the_procedure() {
        let wf = Workflow::parse(BASE).unwrap();
        assert!(wf.check_duration(2.0).is_empty());
        let e = wf.check_duration(1.5);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].line, 8);
        assert!(e[0].vi.contains("vượt thời hạn"));
    }

    #[test]
    fn agencies_may_be_relative_or_named() {
        let named = BASE.replace(
            "role = \"leader\"",
            "role = \"leader\"\nagency = \"000.00.14.H13\"",
        );
        let wf = Workflow::parse(&named).unwrap();
        assert_eq!(
            wf.steps[1].agency,
            AgencyRule::Fixed("000.00.14.H13".into())
        );
        let commune = BASE.replace(
            "role = \"leader\"",
            "role = \"leader\"\nagency = \"applicant_commune\"",
        );
        assert_eq!(
            Workflow::parse(&commune).unwrap().steps[1].agency,
            AgencyRule::ApplicantCommune
        );
        let bad = BASE.replace("role = \"leader\"", "role = \"leader\"\nagency = \"mars\"");
        assert_eq!(errors(&bad)[0].0, 10);
    }
}
