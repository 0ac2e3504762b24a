//! One module per subcommand; each parses nothing and calls the libraries.

pub mod demo;
pub mod disclosure_audit;
pub mod fit_notes;
pub mod generate;
pub mod run;
pub mod serve;
pub mod user;
