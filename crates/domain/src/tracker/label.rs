//! A project's label.

use chrono::{DateTime, Utc};

use crate::id::{LabelId, ProjectId};
use crate::{Error, Result};

/// A project's label; names are unique per project, ignoring case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub id: LabelId,
    pub project_id: ProjectId,
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
    pub created_at: DateTime<Utc>,
}

impl Label {
    pub const DEFAULT_COLOR: &str = "#6b7280";

    /// What makes two labels of a project the same: the name, ignoring case.
    #[must_use]
    pub fn name_key(&self) -> String {
        self.name.to_lowercase()
    }

    /// # Errors
    /// `Validation` for an empty or overlong name or a colour that is not `#rrggbb`.
    pub fn new(
        project_id: ProjectId,
        name: &str,
        color: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let color = color.unwrap_or(Self::DEFAULT_COLOR).to_ascii_lowercase();
        let valid_color = color.len() == 7
            && color.starts_with('#')
            && color[1..].chars().all(|c| c.is_ascii_hexdigit());
        if !valid_color {
            return Err(Error::validation("color", "must be #rrggbb"));
        }
        Ok(Self {
            id: LabelId::generate(),
            project_id,
            name: crate::text::required("name", name, 50)?,
            color,
            created_at: now,
        })
    }
}
