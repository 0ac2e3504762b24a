//! `evidence user add`: add a user to the users file and print their token.

use anyhow::Result;
use dashboard::auth::users::check_password;
use dashboard::auth::{Role, UsersFile};
use std::path::Path;

pub fn add_user(name: &str, role: Role, users: &Path, token_only: bool) -> Result<()> {
    use std::io::IsTerminal;
    let password = if token_only {
        None
    } else if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {name}: "))?;
        let again = rpassword::prompt_password("Again: ")?;
        anyhow::ensure!(
            first == again,
            "the two passwords differ; nothing was changed"
        );
        Some(first)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Some(line.trim_end_matches(['\r', '\n']).to_string())
    };
    if let Some(p) = &password {
        check_password(p)?;
    }
    let mut file = UsersFile::load_or_new(users)?;
    let token = file.add(name, role, password.as_deref())?;
    file.save(users)?;
    println!(
        "Added {name} ({}) to {}. Their API token, shown only this once:",
        role.as_str(),
        users.display()
    );
    println!("{token}");
    Ok(())
}
