//! What building a world costs, part by part: the world itself (citizens, CPR numbers, names,
//! cases), the CPR register SF1520 serves, and each service's preparation, as `sfstub serve`
//! does them when it loads a scenario (`Loaded::new`). Prints milliseconds per part and the
//! whole `Loaded::new` (which shares parts between them, so its time is not their sum).
//!
//! `CITIZENS=1000000 cargo run --release --example world_cost`
//! `CITIZENS=50000 PART=registry valgrind --tool=callgrind target/release/examples/world_cost`
//!
//! `PART` (`world`, `registry`, `organisation`, `sf1472`, `loaded`) runs that part alone (after
//! building the world it needs), for instruction counts of one part.

use std::time::Instant;

use sfstub::scenario::Scenario;

fn main() {
    let citizens: u32 = std::env::var("CITIZENS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let part = std::env::var("PART").unwrap_or_default();
    let text = format!(
        "name: cost\nseed: 1\nclock: 2026-11-22T12:00:00Z\npopulation: {{ citizens: {citizens}, with_cases: 0.15 }}\n"
    );
    let scenario = match Scenario::parse(&text, "cost.yaml", None) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("world_cost: {e}");
            std::process::exit(2);
        }
    };
    let timed = |name: &str, f: &mut dyn FnMut()| {
        if part.is_empty() || part == name {
            let (started, cpu) = (Instant::now(), cpu_ms());
            f();
            println!(
                "{name}: {:.1} ms ({} ms of CPU, all threads)",
                started.elapsed().as_secs_f64() * 1e3,
                cpu_ms() - cpu
            );
        }
    };
    let mut world = None;
    timed("world", &mut || world = Some(sfstub::world::build(&scenario)));
    let world = world.unwrap_or_else(|| sfstub::world::build(&scenario));
    println!("{} citizens, {} cases", world.citizens.len(), world.cases.len());
    timed("registry", &mut || {
        std::hint::black_box(sfstub::services::sf1520_cpr::registry::Registry::derive(&world));
    });
    timed("organisation", &mut || {
        std::hint::black_box(sfstub::services::sf1500_organisation::Organisationssystem::services(
            &world,
        ));
    });
    timed("sf1472", &mut || {
        std::hint::black_box(sfstub::services::sf1472_kontrolsag::KontrolsagListeHent::new(
            &world,
            scenario.sf1472.clone(),
        ));
    });
    timed("loaded", &mut || {
        std::hint::black_box(sfstub::app::Loaded::new(scenario.clone()));
    });
}

/// The CPU time the process has used so far, all threads (Linux; 0 elsewhere): on a shared
/// machine it moves less with the load than the wall time does.
fn cpu_ms() -> u64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0;
    };
    // After the command name in parentheses: utime and stime are fields 14 and 15.
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    ticks * 10
}
