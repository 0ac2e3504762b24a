//! `evidence demo`: the whole job on built-in demo data.

use super::serve::AccessOptions;
use anyhow::{Context, Result};
use dashboard::auth::{Role, UsersFile};
use std::net::SocketAddr;
use std::path::Path;

/// The demo's seed, so every demo shows the same data.
const DEMO_SEED: u64 = 2024;

/// The demo's two users, with passwords anyone may read: it is demo data.
const DEMO_USERS: [(&str, Role, &str); 2] = [
    ("analyst", Role::Analyst, "demo-analyst"),
    ("commissioner", Role::Commissioner, "demo-commissioner"),
];

fn path_arg(path: &Path) -> Result<String> {
    path.to_str()
        .map(str::to_string)
        .with_context(|| format!("{} is not valid UTF-8", path.display()))
}

pub async fn demo(dir: &Path, people: u64, addr: SocketAddr, no_serve: bool) -> Result<()> {
    let data = dir.join("data");
    if data.join("_planted.json").is_file() {
        eprintln!("Using the demo dataset in {}", data.display());
    } else {
        super::generate::generate(datasets::GenerateOptions {
            out: data.clone(),
            people,
            seed: DEMO_SEED,
            area_sd: datasets::DEFAULT_AREA_SD,
            difficulties: datasets::Difficulties::ALL,
            outlier: None,
            region: datasets::RegionGap::default(),
            effect_scale: 1.0,
        })?;
    }
    let evidence = path_arg(&dir.join("evidence"))?;
    let data = path_arg(&data)?;
    super::run::run(data.clone(), evidence.clone(), None, None, None, None).await?;
    if no_serve {
        return Ok(());
    }
    let users = dir.join("users.toml");
    demo_users(&users)?;
    let access = AccessOptions::with_default_limits(users, dir.join("audit.jsonl"));
    super::serve::serve(&evidence, Some(&data), addr, &access).await
}

fn demo_users(path: &Path) -> Result<()> {
    let mut file = UsersFile::load_or_new(path)?;
    for (name, role, password) in DEMO_USERS {
        if file.verify_password(name, password).is_none() {
            file.add(name, role, Some(password))?;
        }
    }
    file.save(path)?;
    println!("Sign in to the demo dashboard as:");
    for (name, role, password) in DEMO_USERS {
        println!("  {name:<13} password {password:<18} ({})", role.as_str());
    }
    println!(
        "(API tokens: `evidence user add NAME --role ROLE --users {}`)",
        path.display()
    );
    Ok(())
}
