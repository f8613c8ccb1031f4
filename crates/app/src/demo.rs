//! The demo province: Cần Thơ as reorganised in 2025, with its departments, its public
//! administration service centre, a people's committee per commune, and demo accounts.
//!
//! The history is real in shape: five departments merged on 2025-03-01, and the provinces of
//! Hậu Giang and Sóc Trăng merged into the city on 2025-07-01. Creation is idempotent.

use jiff::civil::{Date, date};
use lienthong_domain::{
    org::{AgencyLevel, SuccessionKind, UnitLevel, Validity},
    role::{AccountKind, Role},
};
use lienthong_store::{org as store, settings};

use crate::{
    App, AppError,
    accounts::{self, NewAccount},
    audit::AuditCtx,
    org::{MergeSource, NewAgency, insert_agency, reform_2025, reorganise_in},
    refdata,
};

/// Password of every demo account.
pub const DEMO_PASSWORD: &str = "lienthong-demo";
/// GSO code of the demo province.
pub const PROVINCE_CODE: &str = "92";
/// Agency code of the demo province's people's committee.
pub const PROVINCE_AGENCY: &str = "000.00.00.H13";
/// Roles given to one demo official each, in every current demo agency.
pub const DEMO_ROLES: [Role; 5] = [
    Role::Reception,
    Role::Specialist,
    Role::Leader,
    Role::Clerk,
    Role::Admin,
];
const SETTING: &str = "demo.province";

/// The day of the 2025 department mergers.
fn department_reform() -> Date {
    date(2025, 3, 1)
}

/// (level-2 group, name, abbreviation, kind) of the city's departments before 2025-03-01.
const DEPARTMENTS: [(&str, &str, &str, &str); 19] = [
    (
        "01",
        "Văn phòng Ủy ban nhân dân thành phố Cần Thơ",
        "VP",
        "department",
    ),
    ("02", "Sở Nội vụ thành phố Cần Thơ", "SNV", "department"),
    ("03", "Sở Tài chính thành phố Cần Thơ", "STC", "department"),
    ("04", "Sở Tư pháp thành phố Cần Thơ", "STP", "department"),
    ("05", "Sở Xây dựng thành phố Cần Thơ", "SXD", "department"),
    (
        "06",
        "Sở Công Thương thành phố Cần Thơ",
        "SCT",
        "department",
    ),
    (
        "07",
        "Sở Nông nghiệp và Phát triển nông thôn thành phố Cần Thơ",
        "SNNPTNT",
        "department",
    ),
    (
        "08",
        "Sở Khoa học và Công nghệ thành phố Cần Thơ",
        "SKHCN",
        "department",
    ),
    (
        "09",
        "Sở Giáo dục và Đào tạo thành phố Cần Thơ",
        "SGDĐT",
        "department",
    ),
    ("10", "Sở Y tế thành phố Cần Thơ", "SYT", "department"),
    (
        "11",
        "Sở Văn hóa, Thể thao và Du lịch thành phố Cần Thơ",
        "SVHTTDL",
        "department",
    ),
    ("12", "Thanh tra thành phố Cần Thơ", "TTr", "department"),
    ("13", "Ban Dân tộc thành phố Cần Thơ", "BDT", "department"),
    (
        "14",
        "Sở Kế hoạch và Đầu tư thành phố Cần Thơ",
        "SKHĐT",
        "department",
    ),
    (
        "15",
        "Sở Thông tin và Truyền thông thành phố Cần Thơ",
        "STTTT",
        "department",
    ),
    (
        "16",
        "Sở Giao thông vận tải thành phố Cần Thơ",
        "SGTVT",
        "department",
    ),
    (
        "17",
        "Sở Tài nguyên và Môi trường thành phố Cần Thơ",
        "STNMT",
        "department",
    ),
    (
        "18",
        "Sở Lao động - Thương binh và Xã hội thành phố Cần Thơ",
        "SLĐTBXH",
        "department",
    ),
    (
        "20",
        "Trung tâm Phục vụ hành chính công thành phố Cần Thơ",
        "TTPVHCC",
        "service_centre",
    ),
];

/// The 2025-03-01 mergers: (absorbing group, new name, new abbreviation, absorbed groups).
/// (absorbing group, new name and abbreviation, absorbed groups).
type Merger = (
    &'static str,
    Option<(&'static str, &'static str)>,
    &'static [&'static str],
);

const MERGERS_2025_03: [Merger; 6] = [
    ("03", None, &["14"]),
    ("05", None, &["16"]),
    (
        "07",
        Some(("Sở Nông nghiệp và Môi trường thành phố Cần Thơ", "SNNMT")),
        &["17"],
    ),
    ("08", None, &["15"]),
    ("02", None, &["18"]),
    (
        "13",
        Some(("Sở Dân tộc và Tôn giáo thành phố Cần Thơ", "SDTTG")),
        &[],
    ),
];

fn dept_code(group: &str) -> String {
    format!("000.00.{group}.H13")
}

/// Agency code of the people's committee of commune `code` (GSO 5 digits): `XXX.YY.90.H13`.
pub fn commune_agency_code(commune_code: &str) -> String {
    let (yy, xxx) = commune_code.split_at(commune_code.len().min(2));
    format!("{xxx}.{yy}.90.H13")
}

/// What the demo creation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoReport {
    /// Whether anything was created now (false when the demo already existed).
    pub created: bool,
    /// Agencies valid today.
    pub agencies: usize,
    /// Demo accounts created.
    pub accounts: usize,
    /// Demo procedures created.
    pub procedures: usize,
}

#[expect(
    clippy::too_many_arguments,
    reason = "one argument per column of the demo table"
)]
fn agency(
    code: String,
    name: &str,
    short: &str,
    level: AgencyLevel,
    kind: &str,
    parent: Option<&str>,
    unit: Option<&str>,
    from: Option<Date>,
    to: Option<Date>,
) -> NewAgency {
    NewAgency {
        code,
        name: name.to_owned(),
        short_name: short.to_owned(),
        level,
        kind: kind.to_owned(),
        parent_code: parent.map(str::to_owned),
        admin_unit_code: unit.map(str::to_owned),
        validity: Validity { from, to },
    }
}

/// Creates the demo province unless it exists: reference data, agencies with their history,
/// and the demo accounts of API-CONTRACT.md, all with the password [`DEMO_PASSWORD`].
pub async fn ensure_demo(app: &App) -> Result<DemoReport, AppError> {
    let ctx = AuditCtx {
        actor: "system".into(),
        request_id: Some("demo-setup".into()),
    };
    refdata::ensure_admin_units(app, &ctx).await?;
    {
        let mut conn = app.db.read().await?;
        if settings::get(&mut conn, SETTING).await?.is_some() {
            let agencies = store::agencies_at(&mut conn, app.clock.today(), None)
                .await?
                .len();
            drop(conn);
            let procedures = ensure_demo_catalog(app, &ctx).await?;
            return Ok(DemoReport {
                created: false,
                agencies,
                accounts: 0,
                procedures,
            });
        }
    }
    let reform = reform_2025();
    let communes = {
        let mut conn = app.db.read().await?;
        store::units_at(
            &mut conn,
            reform,
            Some(UnitLevel::Commune),
            Some(PROVINCE_CODE),
        )
        .await?
    };
    let hash = accounts::hash_password(DEMO_PASSWORD).await?;
    let mut tx = app.db.write().await?;
    let conn = &mut tx.conn();
    if settings::get(&mut *conn, SETTING).await?.is_some() {
        return Ok(DemoReport::default());
    }
    use AgencyLevel::{Commune, Province};
    let city = "Ủy ban nhân dân thành phố Cần Thơ";
    insert_agency(
        &mut *conn,
        app,
        &ctx,
        &agency(
            PROVINCE_AGENCY.into(),
            city,
            "UBND",
            Province,
            "people_committee",
            None,
            Some(PROVINCE_CODE),
            None,
            None,
        ),
    )
    .await?;
    for (code, name, unit) in [
        ("000.00.00.H28", "Ủy ban nhân dân tỉnh Hậu Giang", "93"),
        ("000.00.00.H51", "Ủy ban nhân dân tỉnh Sóc Trăng", "94"),
    ] {
        insert_agency(
            &mut *conn,
            app,
            &ctx,
            &agency(
                code.into(),
                name,
                "UBND",
                Province,
                "people_committee",
                None,
                Some(unit),
                None,
                None,
            ),
        )
        .await?;
    }
    for (group, name, short, kind) in DEPARTMENTS {
        insert_agency(
            &mut *conn,
            app,
            &ctx,
            &agency(
                dept_code(group),
                name,
                short,
                Province,
                kind,
                Some(PROVINCE_AGENCY),
                Some(PROVINCE_CODE),
                None,
                None,
            ),
        )
        .await?;
    }
    for (group, rename, absorbed) in MERGERS_2025_03 {
        let sources: Vec<MergeSource> = absorbed
            .iter()
            .map(|g| MergeSource {
                code: dept_code(g),
                kind: SuccessionKind::Full,
            })
            .collect();
        reorganise_in(
            &mut *conn,
            app,
            &ctx,
            &dept_code(group),
            rename.map(|r| r.0),
            rename.map(|r| r.1),
            &sources,
            department_reform(),
        )
        .await?;
    }
    let provinces = [
        MergeSource {
            code: "000.00.00.H28".into(),
            kind: SuccessionKind::Full,
        },
        MergeSource {
            code: "000.00.00.H51".into(),
            kind: SuccessionKind::Full,
        },
    ];
    reorganise_in(
        &mut *conn,
        app,
        &ctx,
        PROVINCE_AGENCY,
        None,
        None,
        &provinces,
        reform,
    )
    .await?;
    for c in &communes {
        let name = format!("Ủy ban nhân dân {}", c.name);
        insert_agency(
            &mut *conn,
            app,
            &ctx,
            &agency(
                commune_agency_code(&c.code),
                &name,
                "UBND",
                Commune,
                "people_committee",
                Some(PROVINCE_AGENCY),
                Some(&c.code),
                Some(reform),
                None,
            ),
        )
        .await?;
    }
    let current = store::agencies_at(&mut *conn, app.clock.today().max(reform), None).await?;
    let mut created = 0;
    for a in current.iter().filter(|a| a.code.ends_with(".H13")) {
        for role in DEMO_ROLES {
            let input = NewAccount {
                username: format!("{}@{}", role.as_str(), a.code),
                kind: Some(AccountKind::Official),
                full_name: format!("{} – {}", role.label_vi(), a.name),
                password: DEMO_PASSWORD.into(),
                agency_code: Some(a.code.clone()),
                roles: vec![role],
                ..NewAccount::default()
            };
            accounts::insert_prepared(
                &mut *conn,
                app,
                &ctx,
                &accounts::prepare_with_hash(app, &input, &hash)?,
            )
            .await?;
            created += 1;
        }
    }
    let auditor = NewAccount {
        username: format!("auditor@{PROVINCE_AGENCY}"),
        kind: Some(AccountKind::Official),
        full_name: "Thanh tra công vụ – Ủy ban nhân dân thành phố Cần Thơ".into(),
        password: DEMO_PASSWORD.into(),
        agency_code: Some(PROVINCE_AGENCY.into()),
        roles: vec![Role::Auditor],
        ..NewAccount::default()
    };
    accounts::insert_prepared(
        &mut *conn,
        app,
        &ctx,
        &accounts::prepare_with_hash(app, &auditor, &hash)?,
    )
    .await?;
    created += 1;
    for (i, (name, cccd, phone)) in DEMO_CITIZENS.iter().enumerate() {
        let input = NewAccount {
            username: format!("citizen{}", i + 1),
            kind: Some(AccountKind::Citizen),
            full_name: (*name).into(),
            password: DEMO_PASSWORD.into(),
            cccd: Some((*cccd).into()),
            phone: Some((*phone).into()),
            email: Some(format!("citizen{}@example.vn", i + 1)),
            ..NewAccount::default()
        };
        accounts::insert_prepared(
            &mut *conn,
            app,
            &ctx,
            &accounts::prepare_with_hash(app, &input, &hash)?,
        )
        .await?;
        created += 1;
    }
    let business = NewAccount {
        username: "business1".into(),
        kind: Some(AccountKind::Organisation),
        full_name: "Công ty TNHH Nông sản Tây Đô".into(),
        password: DEMO_PASSWORD.into(),
        tax_code: Some("1800109103".into()),
        email: Some("business1@example.vn".into()),
        ..NewAccount::default()
    };
    accounts::insert_prepared(
        &mut *conn,
        app,
        &ctx,
        &accounts::prepare_with_hash(app, &business, &hash)?,
    )
    .await?;
    created += 1;
    settings::set(&mut *conn, SETTING, PROVINCE_AGENCY).await?;
    tx.commit().await?;
    app.caches.drop_lineages();
    let agencies = current.len();
    let procedures = ensure_demo_catalog(app, &ctx).await?;
    Ok(DemoReport {
        created: true,
        agencies,
        accounts: created,
        procedures,
    })
}

/// Demo citizens: name, CCCD (structurally valid, fictitious), phone.
const DEMO_CITIZENS: [(&str, &str, &str); 5] = [
    ("Nguyễn Văn An", "092085001234", "0912345671"),
    ("Trần Thị Bích Ngọc", "092193004567", "0912345672"),
    ("Lê Hoàng Phúc", "094201007890", "0912345673"),
    ("Phạm Thị Thu Hà", "093155002468", "0912345674"),
    ("Võ Minh Khang", "092304001357", "0912345675"),
];

/// The demo catalog: realistic procedures of the province and its communes. Procedure codes
/// are illustrative; `{communes}` in `agency_codes` stands for every commune people's committee.
const DEMO_CATALOG: &[u8] = include_bytes!("../../../data/catalog/procedures_demo.json");
const CATALOG_SETTING: &str = "demo.catalog";

/// The demo procedures with `{communes}` expanded to the commune agencies of the province.
pub fn demo_procedures(
    commune_agencies: &[String],
) -> Result<Vec<lienthong_domain::catalog::Procedure>, AppError> {
    let mut procedures = crate::catalog::from_json("procedures_demo.json", DEMO_CATALOG)?;
    for p in &mut procedures {
        if p.agency_codes.iter().any(|a| a == "{communes}") {
            p.agency_codes = commune_agencies.to_vec();
        }
    }
    Ok(procedures)
}

async fn ensure_demo_catalog(app: &App, ctx: &AuditCtx) -> Result<usize, AppError> {
    let communes = {
        let mut conn = app.db.read().await?;
        if settings::get(&mut conn, CATALOG_SETTING).await?.is_some() {
            return Ok(0);
        }
        store::agencies_at(
            &mut conn,
            app.clock.today().max(reform_2025()),
            Some(PROVINCE_AGENCY),
        )
        .await?
        .into_iter()
        .filter(|a| a.level == AgencyLevel::Commune)
        .map(|a| a.code)
        .collect::<Vec<_>>()
    };
    let procedures = demo_procedures(&communes)?;
    let summary =
        crate::catalog::import(app, None, ctx, "procedures_demo.json", &procedures).await?;
    let mut tx = app.db.write().await?;
    settings::set(tx.conn(), CATALOG_SETTING, "1").await?;
    tx.commit().await?;
    Ok(summary.created)
}
