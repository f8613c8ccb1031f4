//! The life of one generated dossier: acceptance, due instant from the province calendar,
//! supplement pauses that move it as the one-stop rules do, forwards through the workflow
//! steps, transfers, apology, resolution, rejection or withdrawal, return and rating.

use jiff::Timestamp;
use lienthong_domain::{
    calendar::{OfficeHours, WorkCalendar},
    catalog::OnlineMode,
    clock::{business_tz, from_micros, to_micros},
    dossier::{Status, dossier_code},
    workflow::definition::Step,
};
use lienthong_store::{
    dossiers::{DossierRow, HistoryEntry},
    processing::ProcessingState,
};

use super::rng::Rng;

const HOUR: i64 = 3_600_000_000;
const DAY: i64 = 24 * HOUR;

/// An agency dossiers can be received by.
#[derive(Debug, Clone)]
pub(crate) struct Desk {
    pub index: u32,
    pub code: String,
    pub version_id: String,
}

/// A procedure dossiers are generated for.
#[derive(Debug, Clone)]
pub(crate) struct Proc {
    pub index: u32,
    pub code: String,
    pub version_id: String,
    pub working_days: f64,
    pub online_mode: OnlineMode,
    /// The agencies that receive it (one is picked per dossier).
    pub desks: Vec<Desk>,
    pub weight: u32,
}

/// Everything the lives are generated from.
pub(crate) struct World {
    pub procedures: Vec<Proc>,
    pub departments: Vec<String>,
    pub calendar: WorkCalendar,
    pub hours: OfficeHours,
    pub workflow_id: String,
    pub steps: Vec<Step>,
    pub now: i64,
    pub total_weight: u32,
}

/// A generated dossier.
pub(crate) struct Life {
    pub row: DossierRow,
    pub history: Vec<HistoryEntry>,
    pub procedure: u32,
    pub agency: u32,
}

const FAMILY: [&str; 14] = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
    "Ngô", "Dương",
];
const MIDDLE: [&str; 8] = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Quốc", "Thu"];
const GIVEN: [&str; 24] = [
    "An", "Bình", "Chi", "Dũng", "Hà", "Hải", "Hạnh", "Hòa", "Hùng", "Hương", "Khánh", "Lan",
    "Linh", "Long", "Mai", "Nam", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Yến",
];

impl World {
    fn pick_procedure(&self, rng: &mut Rng) -> Option<&Proc> {
        let mut x = rng.below(u64::from(self.total_weight.max(1)));
        for p in &self.procedures {
            if x < u64::from(p.weight) {
                return Some(p);
            }
            x -= u64::from(p.weight);
        }
        self.procedures.last()
    }

    fn due(&self, from: i64, days: f64) -> Option<(i64, String)> {
        self.calendar
            .due(from_micros(from), days, &self.hours)
            .map(|d| (to_micros(d.due), d.due_date.to_string()))
    }

    /// The due instant after a pause from `paused` to `resumed`, as a supplement moves it.
    fn resume(&self, instant: i64, paused: i64, resumed: i64) -> i64 {
        let left =
            self.calendar
                .halves_between(from_micros(paused), from_micros(instant), &self.hours);
        if left == 0 {
            return instant;
        }
        self.calendar
            .due_in_halves(from_micros(resumed), left, &self.hours)
            .map_or(instant, |d| to_micros(d.due))
    }
}

fn entry(at: i64, action: &str, status: Status, step: Option<&Step>, agency: &str) -> HistoryEntry {
    HistoryEntry {
        seq: 0,
        at,
        actor: "generator".into(),
        actor_name: match step.map(|s| s.role.as_str()) {
            Some("reception") | None => "Bộ phận Một cửa (dữ liệu mẫu)".into(),
            Some("leader") => "Lãnh đạo (dữ liệu mẫu)".into(),
            Some(_) => "Chuyên viên (dữ liệu mẫu)".into(),
        },
        action: action.into(),
        status: status.as_str().into(),
        note: None,
        step: step.map(|s| s.id.clone()),
        agency_code: Some(agency.to_owned()),
    }
}

/// Generates one dossier accepted (or refused) at `at`, numbered by `seq`.
pub(crate) fn live(
    w: &World,
    rng: &mut Rng,
    id: String,
    at: i64,
    seq: &mut dyn FnMut(&str, jiff::civil::Date) -> i64,
) -> Option<Life> {
    let p = w.pick_procedure(rng)?;
    let desk = rng.pick(&p.desks)?.clone();
    let online_share = match p.online_mode {
        OnlineMode::Full => 0.7,
        OnlineMode::Partial => 0.45,
        OnlineMode::None => 0.05,
    };
    let channel = if rng.chance(online_share) {
        "online"
    } else if rng.chance(0.1) {
        "postal"
    } else {
        "direct"
    };
    let received = if channel == "online" {
        at - rng.between(HOUR / 4, 2 * DAY)
    } else {
        at
    };
    let day = Timestamp::from_microsecond(received)
        .ok()?
        .to_zoned(business_tz())
        .date();
    let code = dossier_code(&desk.code, day, seq(&desk.code, day));
    let name = format!(
        "{} {} {}",
        rng.pick(&FAMILY)?,
        rng.pick(&MIDDLE)?,
        rng.pick(&GIVEN)?
    );
    let phone = format!("09{:08}", rng.below(100_000_000));
    let answers = serde_json::json!({"applicant_name": name, "applicant_phone": phone}).to_string();
    let first = w.steps.first()?;
    let mut history = Vec::with_capacity(8);
    let mut state = ProcessingState {
        workflow_id: Some(w.workflow_id.clone()),
        ..ProcessingState::default()
    };
    if channel == "online" {
        history.push(entry(
            received,
            "submit",
            Status::Submitted,
            None,
            &desk.code,
        ));
    }
    let mut status;
    let mut due_date = None;
    if channel == "online" && rng.chance(0.02) {
        status = Status::Refused;
        state.closed_at = Some(at);
        history.push(entry(at, "refuse", status, Some(first), &desk.code));
    } else {
        let (due, day) = w.due(at, p.working_days)?;
        due_date = Some(day);
        state.accepted_at = Some(at);
        state.due_at = Some(due);
        state.statutory_due_at = Some(due);
        status = Status::Accepted;
        history.push(entry(at, "accept", status, Some(first), &desk.code));
        status = run(w, rng, p, &desk, at, &mut state, &mut history)?;
    }
    let open = matches!(
        status,
        Status::Accepted | Status::Processing | Status::SupplementRequested | Status::Resolved
    );
    if !open {
        state.handling_agency_code = None;
        state.handling_role = None;
        state.current_step = None;
        state.attention_at = None;
    }
    for (i, h) in history.iter_mut().enumerate() {
        h.seq = i64::try_from(i + 1).unwrap_or(i64::MAX);
    }
    let updated = history.last().map_or(received, |h| h.at);
    Some(Life {
        row: DossierRow {
            id,
            code,
            procedure_code: p.code.clone(),
            procedure_version_id: p.version_id.clone(),
            agency_code: desk.code.clone(),
            agency_version_id: desk.version_id.clone(),
            applicant_account_id: None,
            applicant_name: name,
            applicant_phone: Some(phone),
            applicant_email: None,
            channel: channel.into(),
            status: status.as_str().into(),
            answers,
            received_at: received,
            due_date,
            version: i64::try_from(history.len()).unwrap_or(1),
            idempotency_key: None,
            created_at: received,
            updated_at: updated,
            state,
        },
        history,
        procedure: p.index,
        agency: desk.index,
    })
}

/// After acceptance: the steps up to the result, stopping at `w.now` for dossiers still open.
fn run(
    w: &World,
    rng: &mut Rng,
    p: &Proc,
    desk: &Desk,
    accepted: i64,
    s: &mut ProcessingState,
    history: &mut Vec<HistoryEntry>,
) -> Option<Status> {
    let mut due = s.statutory_due_at?;
    let span = (due - accepted).max(HOUR);
    // A supplement round or two for some dossiers: the clock stops and restarts.
    let rounds = if rng.chance(0.12) {
        1 + i64::from(rng.chance(0.2))
    } else {
        0
    };
    let mut t = accepted;
    let step_at = |i: usize| w.steps.get(i);
    for _ in 0..rounds {
        let paused = t + rng.between(HOUR, span / 2 + HOUR);
        if paused >= w.now {
            break;
        }
        s.supplement_rounds += 1;
        history.push(entry(
            paused,
            "request_supplement",
            Status::SupplementRequested,
            step_at(1),
            &desk.code,
        ));
        let resumed = paused + rng.between(DAY / 2, 6 * DAY);
        if resumed >= w.now {
            s.paused_at = Some(paused);
            s.resume_status = Some(Status::Processing.as_str().into());
            park(s, step_at(1), &desk.code, due);
            return Some(Status::SupplementRequested);
        }
        due = w.resume(due, paused, resumed);
        s.statutory_due_at = Some(due);
        s.due_at = Some(due);
        history.push(entry(
            resumed,
            "supplement",
            Status::Processing,
            step_at(1),
            &desk.code,
        ));
        t = resumed;
    }
    let roll = rng.unit();
    let finish = if roll < 0.72 {
        t + ((due - t).max(HOUR) as f64 * rng.unit() * 0.85) as i64
    } else if roll < 0.9 {
        due - rng.between(0, 4 * HOUR)
    } else {
        due + rng.between(HOUR, 12 * DAY)
    }
    .max(t + HOUR / 2);
    // Forwards through the steps before the decision, spread over the time to the finish.
    let decision = w.steps.iter().position(|st| {
        st.actions
            .contains(&lienthong_domain::workflow::DossierAction::Approve)
    })?;
    for i in 0..decision {
        let at = t
            + (finish - t) * i64::try_from(i + 1).unwrap_or(1)
                / i64::try_from(decision + 1).unwrap_or(1);
        if at >= w.now {
            park(s, step_at(i), &desk.code, due);
            return Some(if i == 0 {
                Status::Accepted
            } else {
                Status::Processing
            });
        }
        history.push(entry(
            at,
            "forward",
            Status::Processing,
            step_at(i),
            &desk.code,
        ));
        if i == 1
            && rng.chance(0.03)
            && let Some(other) = rng.pick(&w.departments)
        {
            history.push(entry(
                at + HOUR,
                "transfer",
                Status::Processing,
                step_at(i + 1),
                &desk.code,
            ));
            history.push(entry(
                at + 2 * HOUR,
                "send_back",
                Status::Processing,
                step_at(i + 1),
                other,
            ));
        }
    }
    if finish > due && rng.chance(0.6) && due - DAY > t && due - DAY < w.now {
        s.apologized_at = Some(due - DAY);
        history.push(entry(
            due - DAY,
            "apologize",
            Status::Processing,
            step_at(decision),
            &desk.code,
        ));
    }
    if finish >= w.now {
        park(s, step_at(decision), &desk.code, due);
        return Some(Status::Processing);
    }
    let roll = rng.unit();
    if roll < 0.02 {
        s.closed_at = Some(finish);
        history.push(entry(
            finish,
            "withdraw",
            Status::Withdrawn,
            step_at(decision),
            &desk.code,
        ));
        return Some(Status::Withdrawn);
    }
    if roll < 0.05 {
        s.closed_at = Some(finish);
        history.push(entry(
            finish,
            "reject",
            Status::Stopped,
            step_at(decision),
            &desk.code,
        ));
        return Some(Status::Stopped);
    }
    s.resolved_at = Some(finish);
    history.push(entry(
        finish,
        "approve",
        Status::Resolved,
        step_at(decision),
        &desk.code,
    ));
    let returned = finish + rng.between(HOUR, 3 * DAY);
    if returned >= w.now {
        park(s, step_at(decision + 1), &desk.code, finish);
        return Some(Status::Resolved);
    }
    s.returned_at = Some(returned);
    s.return_channel = Some(
        if p.online_mode == OnlineMode::Full && rng.chance(0.6) {
            "online"
        } else if rng.chance(0.15) {
            "post"
        } else {
            "desk"
        }
        .into(),
    );
    history.push(entry(
        returned,
        "return_result",
        Status::Returned,
        step_at(decision + 1),
        &desk.code,
    ));
    let rated = returned + rng.between(HOUR, 2 * DAY);
    if rng.chance(0.35) && rated < w.now {
        let r = rng.unit();
        s.rating = Some(if r < 0.55 {
            3
        } else if r < 0.9 {
            2
        } else {
            1
        });
        s.rated_at = Some(rated);
        history.push(entry(rated, "rate", Status::Returned, None, &desk.code));
    }
    Some(Status::Returned)
}

/// Leaves an open dossier with its holder: the step's role at the receiving agency.
fn park(s: &mut ProcessingState, step: Option<&Step>, agency: &str, attention: i64) {
    s.current_step = step.map(|x| x.id.clone());
    s.handling_agency_code = Some(agency.to_owned());
    s.handling_role = step.map(|x| x.role.as_str().to_owned());
    s.attention_at = Some(attention);
}
