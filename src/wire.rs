//! Wire types: what pages and their server functions exchange, in one place that the pages, the
//! server functions and the services behind them all import (so none of them imports another's).
pub mod inbox;
pub mod simulator;
pub mod sms;
