//! An assistant: how it runs, its model and instructions, checked as a whole.

use serde::{Deserialize, Serialize};

use super::{Draft, Revisioned};
use crate::id::AssistantId;
use crate::vocabulary::vocabulary;
use crate::{Error, Result};

vocabulary! {
    /// How an assistant runs: on a model Agentry calls itself, or as an assistant
    /// hosted by OpenAI.
    pub enum AssistantKind("assistant_type") {
        Llm = "llm",
        OpenaiApi = "openai_api",
    }
}

/// What a caller may set on an assistant; checked by [`AssistantDraft::check`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistantDraft {
    pub name: String,
    pub is_secretary: bool,
    pub model: String,
    pub instructions: String,
    pub assistant_type: AssistantKind,
    pub openai_assistant_id: Option<String>,
    pub is_active: bool,
}

impl AssistantDraft {
    const NAME_MAX: usize = 255;
    const MODEL_MAX: usize = 255;
    const INSTRUCTIONS_MAX: usize = 100_000;
}

impl Draft for AssistantDraft {
    /// Trims and checks every field, and the rule tying `openai_assistant_id` to
    /// the type: required for `openai_api`, forbidden for `llm`.
    fn check(self) -> Result<Self> {
        let openai_assistant_id = match (self.assistant_type, self.openai_assistant_id) {
            (AssistantKind::OpenaiApi, Some(id)) => Some(crate::text::required(
                "openai_assistant_id",
                &id,
                Self::NAME_MAX,
            )?),
            (AssistantKind::OpenaiApi, None) => {
                return Err(Error::validation(
                    "openai_assistant_id",
                    "is required when assistant_type is openai_api",
                ));
            }
            (AssistantKind::Llm, None) => None,
            (AssistantKind::Llm, Some(_)) => {
                return Err(Error::validation(
                    "openai_assistant_id",
                    "is only allowed when assistant_type is openai_api",
                ));
            }
        };
        Ok(Self {
            name: crate::text::required("name", &self.name, Self::NAME_MAX)?,
            model: crate::text::required("model", &self.model, Self::MODEL_MAX)?,
            instructions: crate::text::bounded(
                "instructions",
                &self.instructions,
                Self::INSTRUCTIONS_MAX,
            )?,
            openai_assistant_id,
            ..self
        })
    }
}

/// A configured assistant.
pub type Assistant = Revisioned<AssistantId, AssistantDraft>;

impl Assistant {
    /// Whether this one takes the single active secretary seat.
    #[must_use]
    pub const fn is_active_secretary(&self) -> bool {
        self.draft.is_secretary && self.draft.is_active
    }
}

#[cfg(test)]
mod tests {
    use super::{AssistantDraft, AssistantKind};
    use crate::ErrorKind;
    use crate::registry::Draft as _;

    fn draft(kind: AssistantKind, openai: Option<&str>) -> AssistantDraft {
        AssistantDraft {
            name: " Secretary ".into(),
            is_secretary: true,
            model: "gpt-4o".into(),
            instructions: "Plan the day.".into(),
            assistant_type: kind,
            openai_assistant_id: openai.map(str::to_owned),
            is_active: true,
        }
    }

    #[test]
    fn the_openai_id_goes_with_the_openai_type_only() {
        assert!(
            draft(AssistantKind::OpenaiApi, Some("asst_1"))
                .check()
                .is_ok()
        );
        assert!(draft(AssistantKind::Llm, None).check().is_ok());
        for bad in [
            draft(AssistantKind::OpenaiApi, None),
            draft(AssistantKind::OpenaiApi, Some("  ")),
            draft(AssistantKind::Llm, Some("asst_1")),
        ] {
            let err = bad.check().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Validation, "{err:?}");
        }
    }

    #[test]
    fn names_are_trimmed_and_required() {
        assert_eq!(
            draft(AssistantKind::Llm, None).check().unwrap().name,
            "Secretary"
        );
        let mut empty = draft(AssistantKind::Llm, None);
        empty.name = " ".into();
        assert!(empty.check().is_err());
    }
}
