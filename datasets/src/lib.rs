//! Reference data for the work-and-health pilots (`reference/*.csv`) and the
//! synthetic dataset generator that writes a dataset root in the data
//! contract with known planted effects.

pub mod cache;
pub mod footprints;
pub mod generate;
pub mod published;
pub mod reference;

pub use generate::{
    DEFAULT_AREA_SD, DEFAULT_OUTLIER_UPLIFT, Difficulties, GenerateError, GenerateOptions,
    GenerateProgress, NoProgress, OutlierSite, Planted, RegionGap, generate,
};
pub use published::{PublishedFixtureOptions, PublishedPlanted, generate_published};
pub use reference::Reference;
