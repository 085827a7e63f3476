//! The world while sfstub runs: persons added through the admin API, resets, and reloading the
//! scenario file (on demand or when it changes, [`watch`]).
//!
//! The world is never changed in place. Each of these builds a new [`Loaded`] from the
//! scenario and the added persons and swaps it in ([`App::swap`]): a request in flight
//! finishes on the world it started with, and no request sees half a world. Builds are
//! serialised by one lock that requests never take. Keys, limits and settings given at start
//! stay as they are.
//!
//! Added persons survive a reload: the new world is the new file plus the added persons (an
//! added person whose CPR number the new file's world now has is dropped, and the answer says
//! so). `POST /__sfstub/reset` forgets them.

pub mod watch;

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use crate::app::{App, Loaded};
use crate::scenario::{Person, Scenario, ScenarioError};
use crate::world::{Clock, Cpr};

/// The most persons the admin API may add, all together.
pub const MAX_ADDED_PERSONS: usize = 1000;
/// The most control cases the added persons may have, all together.
pub const MAX_ADDED_CASES: usize = 10_000;

/// Where the scenario comes from, for a reload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Given in-process (tests, tools): there is nothing to reload from.
    Given,
    /// The built-in `default.yaml`, with `--clock`.
    Builtin(Option<Clock>),
    /// A file, with `--clock`.
    File(PathBuf, Option<Clock>),
}

impl Source {
    /// The file's name as problems name it.
    pub fn describe(&self) -> String {
        match self {
            Source::Given => "the scenario given at start".into(),
            Source::Builtin(_) => crate::scenario::DEFAULT_SCENARIO_FILE.into(),
            Source::File(p, _) => p.display().to_string(),
        }
    }

    fn load(&self) -> Result<Option<Scenario>, ScenarioError> {
        match self {
            Source::Given => Ok(None),
            Source::Builtin(clock) => Scenario::parse(
                crate::scenario::DEFAULT_SCENARIO,
                crate::scenario::DEFAULT_SCENARIO_FILE,
                *clock,
            )
            .map(Some),
            Source::File(path, clock) => Scenario::load(path, *clock).map(Some),
        }
    }
}

#[derive(Debug)]
struct State {
    source: Source,
    /// The scenario as last loaded.
    scenario: Scenario,
    /// The persons added, in the order first added (a person added again replaces itself).
    added: Vec<Person>,
}

/// The running world's origin and additions.
#[derive(Debug)]
pub struct Live {
    state: Mutex<State>,
}

/// Why persons could not be added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddError {
    /// The CPR number of the `index`-th person is a citizen of the scenario.
    Taken { index: usize, cpr: Cpr },
    /// The bound on added persons or cases would be passed.
    TooMany(String),
    /// A relation of the `index`-th person (`field`, e.g. `relations.spouse`) names no citizen.
    Relation { index: usize, field: String, cpr: Cpr },
}

/// What adding persons did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Added {
    /// CPR numbers new to the world.
    pub added: Vec<String>,
    /// CPR numbers of persons added earlier, now replaced.
    pub replaced: Vec<String>,
    /// Persons added in all.
    pub total: usize,
}

/// What a reload did.
#[derive(Debug, Clone, Default)]
pub struct Reloaded {
    pub file: String,
    pub name: String,
    pub citizens: usize,
    pub cases: usize,
    /// Added persons dropped because the new world has their CPR number.
    pub dropped: Vec<String>,
    /// Things the reload did not change (settings read only at start).
    pub notes: Vec<String>,
}

/// Why a reload did not happen.
#[derive(Debug, Clone)]
pub enum ReloadError {
    /// The file is broken: the old world keeps serving.
    Broken(ScenarioError),
}

impl Live {
    /// The origin of a scenario given in-process (see [`Live::set_source`]).
    pub fn new(scenario: &Scenario) -> Live {
        Live {
            state: Mutex::new(State {
                source: Source::Given,
                scenario: scenario.clone(),
                added: Vec::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Says where the scenario came from, so that it can be reloaded.
    pub fn set_source(&self, source: Source) {
        self.lock().source = source;
    }

    /// Where the scenario comes from.
    pub fn source(&self) -> Source {
        self.lock().source.clone()
    }

    /// The persons added, in the order first added.
    pub fn added(&self) -> Vec<Person> {
        self.lock().added.clone()
    }
}

/// Adds `persons` to the running world (a person with the CPR number of one added earlier
/// replaces it); all or none.
pub fn add_persons(app: &App, persons: Vec<Person>) -> Result<Added, AddError> {
    let live = &app.live;
    let mut state = live.lock();
    let current = app.loaded();
    for (index, p) in persons.iter().enumerate() {
        let taken = current
            .world
            .citizen_by_cpr(p.cpr)
            .is_some_and(|_| !state.added.iter().any(|a| a.cpr == p.cpr));
        if taken {
            return Err(AddError::Taken { index, cpr: p.cpr });
        }
    }
    let mut merged = state.added.clone();
    let mut report = Added::default();
    let persons_given = persons.clone();
    for p in persons {
        match merged.iter_mut().find(|a| a.cpr == p.cpr) {
            Some(slot) => {
                report.replaced.push(p.cpr.to_string());
                *slot = p;
            }
            None => {
                report.added.push(p.cpr.to_string());
                merged.push(p);
            }
        }
    }
    let cases: usize = merged.iter().map(|p| p.cases.len()).sum();
    if merged.len() > MAX_ADDED_PERSONS {
        return Err(AddError::TooMany(format!(
            "at most {MAX_ADDED_PERSONS} persons may be added ({} held, {} more asked for); POST /__sfstub/reset?only=persons forgets them",
            state.added.len(),
            report.added.len()
        )));
    }
    if cases > MAX_ADDED_CASES {
        return Err(AddError::TooMany(format!(
            "the added persons may have at most {MAX_ADDED_CASES} control cases together ({cases} asked for)"
        )));
    }
    let (loaded, skipped) = Loaded::with_added(state.scenario.clone(), merged.clone());
    for (index, p) in persons_given.iter().enumerate() {
        for (field, cpr) in p.relations.named() {
            if loaded.world.citizen_by_cpr(cpr).is_none() {
                return Err(AddError::Relation {
                    index,
                    field: format!("relations.{field}"),
                    cpr,
                });
            }
        }
    }
    if let Some(&i) = skipped.first() {
        // The check above makes this unreachable; refuse rather than half-apply.
        return Err(AddError::Taken {
            index: i,
            cpr: merged[i].cpr,
        });
    }
    app.swap(app.prepared(loaded));
    state.added = merged;
    report.total = state.added.len();
    Ok(report)
}

/// Removes one added person; false when no person with that number was added.
pub fn remove_person(app: &App, cpr: Cpr) -> bool {
    let mut state = app.live.lock();
    let Some(i) = state.added.iter().position(|p| p.cpr == cpr) else {
        return false;
    };
    let mut rest = state.added.clone();
    rest.remove(i);
    let (loaded, _) = Loaded::with_added(state.scenario.clone(), rest.clone());
    app.swap(app.prepared(loaded));
    state.added = rest;
    true
}

/// Forgets every added person: the world of the scenario as loaded. Returns how many.
pub fn reset_persons(app: &App) -> usize {
    let mut state = app.live.lock();
    let n = state.added.len();
    app.swap(app.prepared(Loaded::new(state.scenario.clone())));
    state.added.clear();
    n
}

/// Reads the scenario again and serves it with the added persons. A broken file changes
/// nothing: the old world keeps serving, and the problems are logged and returned.
pub fn reload(app: &App) -> Result<Reloaded, ReloadError> {
    let mut state = app.live.lock();
    let file = state.source.describe();
    let mut notes = Vec::new();
    let scenario = match state.source.load() {
        Ok(Some(s)) => s,
        Ok(None) => {
            notes.push("sfstub was given its scenario in-process: there is no file to read again, so the world was rebuilt from the scenario as loaded".to_owned());
            state.scenario.clone()
        }
        Err(e) => {
            tracing::warn!(target: "sfstub::reload", "{e}\nthe old world keeps serving");
            app.metrics.reload(false);
            return Err(ReloadError::Broken(e));
        }
    };
    let before = &state.scenario.security;
    if scenario.security.mode != before.mode
        || scenario.security.clock_skew != before.clock_skew
        || scenario.security.clock != before.clock
    {
        notes.push(
            "security settings are read at start only: restart sfstub to apply the new security section".to_owned(),
        );
    }
    let (loaded, skipped) = Loaded::with_added(scenario.clone(), state.added.clone());
    let dropped: Vec<String> = skipped.iter().map(|&i| state.added[i].cpr.to_string()).collect();
    let added: Vec<Person> = state
        .added
        .iter()
        .enumerate()
        .filter(|(i, _)| !skipped.contains(i))
        .map(|(_, p)| p.clone())
        .collect();
    for p in &added {
        for (field, cpr) in p.relations.named() {
            if loaded.world.citizen_by_cpr(cpr).is_none() {
                notes.push(format!(
                    "the added person {}'s relations.{field} names {cpr}, no longer a citizen: it is left out",
                    p.cpr
                ));
            }
        }
    }
    let report = Reloaded {
        file,
        name: scenario.name.clone(),
        citizens: loaded.world.citizens.len(),
        cases: loaded.world.cases.len(),
        dropped,
        notes,
    };
    app.swap(app.prepared(loaded));
    app.faults.load_scenario(scenario.seed, scenario.faults.clone());
    state.scenario = scenario;
    state.added = added;
    app.metrics.reload(true);
    tracing::info!(
        target: "sfstub::reload",
        "reloaded {}: scenario {:?}, {} citizens, {} control cases{}",
        report.file,
        report.name,
        report.citizens,
        report.cases,
        if report.dropped.is_empty() {
            String::new()
        } else {
            format!("; added persons dropped (the file now has them): {}", report.dropped.join(", "))
        }
    );
    Ok(report)
}
