//! How often publishing from rounded counts changes a significance mark
//! (issue 27, item 7): each effect's mark on its exact interval against the
//! mark the commissioners' pages show, for programmes, subgroups and every
//! outcome.

use crate::disclosure::{Effect, Published};
use contract::Evidence;
use contract::vocabulary::Significance;

/// One kind of figure's marks compared.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Marks {
    pub figure: &'static str,
    /// Effects with an exact interval and a published mark.
    pub compared: usize,
    /// Of them, the published mark differs from the exact one.
    pub flipped: usize,
    /// Effects with an exact interval but no published mark (suppressed,
    /// not estimable from the rounded counts, or withheld).
    pub unpublished: usize,
    /// A few flips, "programme: exact → published".
    pub examples: Vec<String>,
}

impl Marks {
    fn add(&mut self, name: String, low: Option<f64>, high: Option<f64>, published: Effect) {
        let Some(exact) = Significance::of(low, high) else {
            return;
        };
        match published.significance() {
            None => self.unpublished += 1,
            Some(shown) => {
                self.compared += 1;
                if shown != exact {
                    self.flipped += 1;
                    if self.examples.len() < 5 {
                        self.examples
                            .push(format!("{name}: {exact:?} -> {shown:?}"));
                    }
                }
            }
        }
    }
}

/// The marks of `exact`'s effects against `published`'s.
pub fn significance_flips(exact: &Evidence, published: &Published) -> Vec<Marks> {
    let t = &exact.tables;
    let mut programmes = Marks {
        figure: "programme ATT",
        ..Marks::default()
    };
    let mut subgroups = Marks {
        figure: "subgroup ATT",
        ..Marks::default()
    };
    let mut outcomes = Marks {
        figure: "outcome effect",
        ..Marks::default()
    };
    for p in &t.programme_outcomes {
        if let Some(shown) = published.programmes.iter().find(|q| q.name == p.programme) {
            programmes.add(
                p.programme.clone(),
                p.effect.att_low,
                p.effect.att_high,
                shown.att,
            );
            for o in t
                .outcome_effects
                .iter()
                .filter(|o| o.programme == p.programme)
            {
                if let Some(row) = shown.outcomes.iter().find(|r| r.outcome == o.outcome) {
                    outcomes.add(
                        format!("{} {:?}", p.programme, o.outcome),
                        o.att_low,
                        o.att_high,
                        row.effect,
                    );
                }
            }
        }
    }
    for s in &t.subgroup_outcomes {
        let shown = published.subgroups.iter().find(|q| {
            q.programme == s.programme && q.dimension == s.dimension && q.value == s.value
        });
        if let Some(shown) = shown {
            subgroups.add(
                format!("{} {:?}={}", s.programme, s.dimension, s.value),
                s.effect.att_low,
                s.effect.att_high,
                shown.att,
            );
        }
    }
    vec![programmes, subgroups, outcomes]
}
