//! `agentry-migrate import-assistants` and `export-assistants`: the registry as a
//! JSON document in and out, so configuration files can fill a database (the format
//! and what an import changes: docs/registry-import.md).

use std::path::Path;

use agentry_domain::registry::{ImportPlan, RegistryDocument};
use agentry_domain::workspace::UserRepo as _;
use agentry_domain::{Limits, Services};
use agentry_store::Store;
use anyhow::{Context as _, bail};

fn services(store: &Store) -> Services {
    Services::new(
        &crate::app::ports(store, Path::new("."), None),
        Limits::default(),
    )
}

/// Writes the registry document to `file`, or stdout.
///
/// # Errors
/// When the database cannot be read or the file written.
pub(crate) async fn export(store: &Store, file: Option<&Path>) -> anyhow::Result<()> {
    let document = services(store).registry.export().await?;
    let json = serde_json::to_string_pretty(&document)? + "\n";
    match file {
        Some(file) => {
            std::fs::write(file, json).with_context(|| format!("writing {}", file.display()))?;
            println!(
                "exported {} assistants and {} tools to {}",
                document.assistants.len(),
                document.tools.len(),
                file.display()
            );
        }
        None => print!("{json}"),
    }
    Ok(())
}

/// Validates `file`, backs up the registry, imports it in one transaction and
/// checks the result against the document.
///
/// # Errors
/// Every problem of the document (nothing is written then), or a failed write.
pub(crate) async fn import(store: &Store, file: &Path, dry_run: bool) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let document: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    let registry = services(store).registry;
    let Some(admin) = store.list_users().await?.into_iter().find(|u| u.is_admin) else {
        bail!("no admin exists yet to record the import as: start agentry-api once first");
    };
    let before = registry.export().await?;

    let plan = match registry.import(admin.id, &document, true).await? {
        Ok(plan) => plan,
        Err(problems) => {
            for problem in &problems {
                eprintln!("{problem}");
            }
            bail!(
                "{} problem(s) in {}; nothing was written",
                problems.len(),
                file.display()
            );
        }
    };
    print_plan(&plan);
    if dry_run {
        println!("dry run: nothing was written");
        return Ok(());
    }
    if plan.is_empty() {
        println!(
            "the registry already matches {}; nothing was written",
            file.display()
        );
        return Ok(());
    }
    // Beside the imported file: the operator finds it where they looked last.
    let backup = file.with_file_name(format!(
        "registry-backup-{}.json",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
    ));
    std::fs::write(&backup, serde_json::to_string_pretty(&before)? + "\n")
        .with_context(|| format!("writing the backup {}", backup.display()))?;
    println!("backed up the current registry to {}", backup.display());

    match registry.import(admin.id, &document, false).await? {
        Ok(_) => {}
        Err(problems) => bail!(
            "the registry changed meanwhile: {} problem(s); nothing was written",
            problems.len()
        ),
    }
    let after = registry.export().await?;
    verify(
        &before,
        &after,
        &plan,
        &serde_json::from_value(document).context("re-reading the document")?,
    )
}

fn print_plan(plan: &ImportPlan) {
    println!(
        "plan: {} assistants to create, {} to update; {} tools to create, {} to update; {} links to add",
        plan.create_assistants.len(),
        plan.update_assistants.len(),
        plan.create_tools.len(),
        plan.update_tools.len(),
        plan.add_links.len()
    );
}

/// Counts and relations after the import, against what the plan and the document
/// say they must be.
fn verify(
    before: &RegistryDocument,
    after: &RegistryDocument,
    plan: &ImportPlan,
    document: &RegistryDocument,
) -> anyhow::Result<()> {
    let links = |d: &RegistryDocument| d.assistants.iter().map(|a| a.tools.len()).sum::<usize>();
    let mut failures = Vec::new();
    for (what, found, expected) in [
        (
            "assistants",
            after.assistants.len(),
            before.assistants.len() + plan.create_assistants.len(),
        ),
        (
            "tools",
            after.tools.len(),
            before.tools.len() + plan.create_tools.len(),
        ),
        ("links", links(after), links(before) + plan.add_links.len()),
    ] {
        println!("{what:<10} {found:>5} (expected {expected})");
        if found != expected {
            failures.push(format!("{what}: {found}, expected {expected}"));
        }
    }
    for wanted in &document.assistants {
        let Some(stored) = after.assistants.iter().find(|a| a.name == wanted.name) else {
            failures.push(format!("assistant {:?} is missing", wanted.name));
            continue;
        };
        for tool in &wanted.tools {
            if !stored.tools.contains(tool) {
                failures.push(format!("assistant {:?} lacks tool {tool:?}", wanted.name));
            }
        }
    }
    for wanted in &document.tools {
        let stored = after.tools.iter().find(|t| t.name == wanted.name);
        if stored.map(|t| &t.sub_assistant) != Some(&wanted.sub_assistant) {
            failures.push(format!(
                "tool {:?} does not delegate as the document says",
                wanted.name
            ));
        }
    }
    if failures.is_empty() {
        println!("imported: counts and relations match the document");
        Ok(())
    } else {
        bail!(
            "the imported registry differs from the document: {}",
            failures.join("; ")
        )
    }
}
