//! One module per subcommand; each parses nothing and calls the libraries.

pub mod audit;
pub mod demo;
pub mod generate;
pub mod run;
pub mod serve;
pub mod user;
