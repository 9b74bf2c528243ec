//! Building blocks shared by the pages.
pub mod chatbot_header;
pub mod confirm;
pub mod feedback;
pub mod fields;
pub mod live;
pub mod time;

pub use confirm::Confirmable;
pub use feedback::{EmptyState, ErrorPanel, FormError, Loading, Spinner, error_title};
pub use fields::{CopyField, PasswordField, TextAreaField, TextField};
