//! Names in URLs, and finding a programme or site by them.

use crate::disclosure::{Programme, Published, Site};

/// Lowercase hyphenated name for URLs: `Health and Growth Accelerator` →
/// `health-and-growth-accelerator`.
pub fn slug(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

/// The programme whose slug is `slug`.
pub fn programme<'a>(published: &'a Published, slug_: &str) -> Option<&'a Programme> {
    published.programmes.iter().find(|p| slug(&p.name) == slug_)
}

/// The slugs of every programme, for messages.
pub fn programme_slugs(published: &Published) -> Vec<String> {
    published.programmes.iter().map(|p| slug(&p.name)).collect()
}

/// A site of `programme` by its area id (already a slug).
pub fn site<'a>(published: &'a Published, programme: &Programme, area: &str) -> Option<&'a Site> {
    published.site(programme, area)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            slug("Health and Growth Accelerator"),
            "health-and-growth-accelerator"
        );
        assert_eq!(slug("WorkWell"), "workwell");
    }
}
