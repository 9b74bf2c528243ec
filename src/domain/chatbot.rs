//! What defines a chatbot: its name and the system prompt every channel's answers start from.
use super::{Rejected, rejected};
use serde::{Deserialize, Serialize};

/// A chatbot's display name, 1 to 80 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatbotName(String);

impl ChatbotName {
    pub const MAX_CHARS: usize = 80;

    pub fn parse(input: &str) -> Result<Self, Rejected> {
        let value = input.trim();
        if value.is_empty() {
            return Err(rejected("Give the chatbot a name."));
        }
        if value.chars().count() > Self::MAX_CHARS {
            return Err(rejected(format!(
                "Use at most {} characters for the name.",
                Self::MAX_CHARS
            )));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The instructions the model gets before every conversation, 1 to 8,000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemPrompt(String);

impl SystemPrompt {
    pub const MAX_CHARS: usize = 8_000;

    pub fn parse(input: &str) -> Result<Self, Rejected> {
        let value = input.trim();
        if value.is_empty() {
            return Err(rejected(
                "Write a system prompt: tell the bot who it is and how to answer.",
            ));
        }
        if value.chars().count() > Self::MAX_CHARS {
            return Err(rejected(format!(
                "Use at most {} characters for the system prompt.",
                Self::MAX_CHARS
            )));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chatbot_name_is_trimmed_and_between_1_and_80_characters() {
        assert_eq!(
            ChatbotName::parse(" Support ").expect("valid").as_str(),
            "Support"
        );
        assert!(ChatbotName::parse(" \n").is_err());
        assert!(ChatbotName::parse(&"b".repeat(80)).is_ok());
        assert!(ChatbotName::parse(&"b".repeat(81)).is_err());
    }

    #[test]
    fn system_prompt_is_required_and_bounded() {
        assert!(SystemPrompt::parse("").is_err());
        assert!(SystemPrompt::parse(&"p".repeat(8_000)).is_ok());
        assert!(SystemPrompt::parse(&"p".repeat(8_001)).is_err());
    }
}
