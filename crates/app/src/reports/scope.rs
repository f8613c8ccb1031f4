//! The agency tree as reports see it: which agencies a report covers and under which row an
//! agency's dossiers are rolled up.

use std::collections::HashMap;

use lienthong_store::org as ostore;

use crate::{App, AppError, authz::AgencyScope};

/// The agencies in force today, by code, with their parents and names; codes that only
/// existed before a reorganisation keep their last name and parent.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    parent: HashMap<String, Option<String>>,
    names: HashMap<String, String>,
    children: HashMap<String, Vec<String>>,
    /// Agencies without a parent, by code.
    pub roots: Vec<String>,
}

/// What one report covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportScope {
    /// The agency the report is about.
    pub root: String,
    /// It and every agency under it.
    pub agencies: Vec<String>,
}

impl Tree {
    /// Loads the tree of today.
    pub async fn load(app: &App) -> Result<Tree, AppError> {
        let mut conn = app.db.read().await?;
        let today = app.clock.today();
        let all = ostore::agencies_at(&mut conn, today, None).await?;
        let mut t = Tree::default();
        for a in all {
            t.names.insert(a.code.clone(), a.name.clone());
            t.parent.insert(a.code.clone(), a.parent_code.clone());
        }
        let codes: Vec<String> = t.parent.keys().cloned().collect();
        for c in codes {
            match t.parent.get(&c).cloned().flatten() {
                Some(p) if t.parent.contains_key(&p) => {
                    t.children.entry(p).or_default().push(c);
                }
                _ => t.roots.push(c),
            }
        }
        t.roots.sort();
        for v in t.children.values_mut() {
            v.sort();
        }
        Ok(t)
    }

    /// Adds agencies no longer in force (closed by a reorganisation) with their last name and
    /// parent, so that their dossiers stay counted under their former parent.
    pub async fn adopt(&mut self, app: &App, codes: &[String]) -> Result<(), AppError> {
        let mut conn = app.db.read().await?;
        for code in codes {
            if self.contains(code) {
                continue;
            }
            let versions = ostore::agency_versions(&mut conn, code).await?;
            let Some(last) = versions.last() else {
                continue;
            };
            self.names.insert(code.clone(), last.name.clone());
            self.parent.insert(code.clone(), last.parent_code.clone());
            if let Some(p) = &last.parent_code {
                self.children
                    .entry(p.clone())
                    .or_default()
                    .push(code.clone());
            }
        }
        Ok(())
    }

    /// Name of an agency (its code when unknown).
    pub fn name(&self, code: &str) -> String {
        self.names
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_owned())
    }

    /// Whether the agency is in force today.
    pub fn contains(&self, code: &str) -> bool {
        self.parent.contains_key(code)
    }

    /// Direct sub-agencies.
    pub fn children(&self, code: &str) -> &[String] {
        self.children.get(code).map_or(&[], Vec::as_slice)
    }

    /// The agency and its ancestors, nearest first.
    pub fn lineage(&self, code: &str) -> AgencyScope {
        let mut lineage = vec![code.to_owned()];
        let mut at = code.to_owned();
        while let Some(Some(p)) = self.parent.get(&at) {
            if lineage.contains(p) || lineage.len() > 16 {
                break;
            }
            lineage.push(p.clone());
            at = p.clone();
        }
        AgencyScope { lineage }
    }

    /// The scope of a report on `agency` (the province when `None`: the single top agency).
    pub fn scope(&self, agency: Option<&str>) -> Result<ReportScope, AppError> {
        let root = match agency.map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) if self.contains(a) => a.to_owned(),
            Some(a) => {
                return Err(AppError::Validation(vec![crate::FieldError::new(
                    "agency",
                    format!(
                        "Không có cơ quan mã \"{}\".",
                        a.chars().take(40).collect::<String>()
                    ),
                    format!(
                        "No agency with code \"{}\".",
                        a.chars().take(40).collect::<String>()
                    ),
                )]));
            }
            None => self.roots.first().cloned().ok_or_else(|| {
                AppError::NotFound("no agency is configured / chưa có cơ quan nào".into())
            })?,
        };
        let mut agencies = vec![root.clone()];
        let mut i = 0;
        while let Some(c) = agencies.get(i).cloned() {
            agencies.extend(self.children(&c).iter().cloned());
            i += 1;
        }
        Ok(ReportScope { root, agencies })
    }
}

impl ReportScope {
    /// The row under which an agency's dossiers are counted: the scope root itself, or the
    /// sub-agency directly under it that contains the agency. `None` outside the scope.
    pub fn group_of(&self, tree: &Tree, agency: &str) -> Option<String> {
        if agency == self.root {
            return Some(agency.to_owned());
        }
        let lineage = tree.lineage(agency).lineage;
        let pos = lineage.iter().position(|c| *c == self.root)?;
        pos.checked_sub(1).and_then(|i| lineage.get(i)).cloned()
    }
}
