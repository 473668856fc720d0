//! The platform model: [`spec`] is the input as written, [`resolved`] what templates see.

pub mod actions;
pub mod ci;
pub mod resolved;
pub mod slo;
pub mod spec;

pub use resolved::*;
pub use spec::PlatformSpec;
