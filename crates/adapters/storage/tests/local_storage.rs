//! `LocalFileStorage` against a real temporary directory.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use adapter_storage::LocalFileStorage;
use kernel::DomainError;
use kernel::storage::FileStorage;

fn storage() -> (tempfile::TempDir, LocalFileStorage) {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = LocalFileStorage::new(dir.path());
    (dir, storage)
}

/// Every file under `root`, relative, sorted (hidden temporaries included).
fn all_files(root: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
            let p = entry.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else if let Ok(rel) = p.strip_prefix(base) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

#[tokio::test]
async fn streaming_write_and_commit() {
    let (tmp, s) = storage();
    let mut w = s
        .create("clientes/documentos", "Contrato São João.pdf")
        .await
        .expect("create");
    w.write(b"%PDF-1.4 ").await.expect("chunk 1");
    w.write(&[b'x'; 100_000]).await.expect("chunk 2");
    // Nothing visible under the final name before commit.
    assert!(
        !tmp.path()
            .join("clientes/documentos/Contrato_Sao_Joao.pdf")
            .exists()
    );
    let path = w.commit().await.expect("commit");
    assert_eq!(path, "clientes/documentos/Contrato_Sao_Joao.pdf");
    let data = std::fs::read(tmp.path().join(&path)).expect("read");
    assert_eq!(data.len(), 100_009);
    assert!(data.starts_with(b"%PDF-1.4 "));
    assert_eq!(
        all_files(tmp.path()),
        vec![path.clone()],
        "no temporary left"
    );
    assert_eq!(s.size(&path).await, Some(100_009));
}

#[tokio::test]
async fn abort_and_drop_leave_nothing() {
    let (tmp, s) = storage();
    let mut w = s
        .create("clientes/documentos", "a.pdf")
        .await
        .expect("create");
    w.write(b"partial").await.expect("write");
    assert_eq!(
        all_files(tmp.path()).len(),
        1,
        "temporary exists while writing"
    );
    w.abort().await;
    assert!(all_files(tmp.path()).is_empty());

    let mut w = s
        .create("clientes/documentos", "b.pdf")
        .await
        .expect("create");
    w.write(b"partial").await.expect("write");
    drop(w); // e.g. the request was cancelled
    assert!(all_files(tmp.path()).is_empty());
}

#[tokio::test]
async fn traversal_in_names_is_neutralised() {
    let (tmp, s) = storage();
    for (name, want) in [
        ("../../etc/passwd", "docs/passwd"),
        ("/abs/x", "docs/x"),
        ("a/../../b", "docs/b"),
        ("..", "docs/arquivo"),
        (".env", "docs/arquivo.env"),
    ] {
        let p = s.save("docs", name, b"data").await.expect("save");
        assert_eq!(p, want, "{name}");
    }
    let files = all_files(tmp.path());
    assert!(files.iter().all(|f| f.starts_with("docs/")), "{files:?}");
    assert!(
        !tmp.path()
            .parent()
            .map(|p| p.join("etc/passwd").exists())
            .unwrap_or(false)
    );
}

#[tokio::test]
async fn unsafe_dirs_are_refused() {
    let (tmp, s) = storage();
    for dir in ["/abs", "../x", "a/../../b", "a//b", ".hidden", "a\\..\\b"] {
        let r = s.create(dir, "f.txt").await;
        assert!(matches!(r, Err(DomainError::BadRequest(_))), "{dir}");
    }
    assert!(all_files(tmp.path()).is_empty());
    // The root itself and nested relative directories are fine.
    assert_eq!(s.save("", "f.txt", b"1").await.expect("root"), "f.txt");
    assert_eq!(
        s.save("a/b/c/", "f.txt", b"1").await.expect("nested"),
        "a/b/c/f.txt"
    );
}

#[tokio::test]
async fn same_name_twice_keeps_both() {
    let (tmp, s) = storage();
    let first = s
        .save("clientes/documentos", "contrato.pdf", b"one")
        .await
        .expect("first");
    let second = s
        .save("clientes/documentos", "contrato.pdf", b"two")
        .await
        .expect("second");
    assert_eq!(first, "clientes/documentos/contrato.pdf");
    assert_ne!(first, second);
    let name = second.rsplit('/').next().unwrap_or_default();
    assert!(
        name.starts_with("contrato_") && name.ends_with(".pdf"),
        "{name}"
    );
    assert_eq!(name.len(), "contrato_.pdf".len() + 7);
    assert_eq!(std::fs::read(tmp.path().join(&first)).expect("1"), b"one");
    assert_eq!(std::fs::read(tmp.path().join(&second)).expect("2"), b"two");
}

#[tokio::test]
async fn concurrent_same_name_writes_all_survive() {
    let (tmp, s) = storage();
    let s = Arc::new(s);
    let mut tasks = Vec::new();
    for i in 0..16u32 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut w = s
                .create("clientes/documentos", "same.txt")
                .await
                .expect("create");
            for _ in 0..8 {
                w.write(format!("{i};").as_bytes()).await.expect("write");
                tokio::task::yield_now().await;
            }
            (i, w.commit().await.expect("commit"))
        }));
    }
    let mut paths = HashSet::new();
    for t in tasks {
        let (i, path) = t.await.expect("join");
        let content = std::fs::read_to_string(tmp.path().join(&path)).expect("read");
        assert_eq!(
            content,
            format!("{i};").repeat(8),
            "{path} holds its own upload"
        );
        assert!(paths.insert(path));
    }
    assert_eq!(paths.len(), 16);
    assert_eq!(all_files(tmp.path()).len(), 16, "no temporaries left");
}

#[tokio::test]
async fn size_delete_and_resolve() {
    let (tmp, s) = storage();
    let path = s
        .save("appearance", "logo.png", b"12345")
        .await
        .expect("save");
    assert_eq!(s.size(&path).await, Some(5));
    assert_eq!(s.size("appearance/missing.png").await, None);
    assert_eq!(s.size("appearance").await, None, "directories have no size");
    assert_eq!(s.size("../etc/passwd").await, None);

    assert_eq!(
        s.resolve(&path),
        Some(tmp.path().join("appearance").join("logo.png"))
    );
    assert!(s.resolve_existing(&path).await.is_some());
    assert!(s.resolve_existing("appearance/missing.png").await.is_none());
    for bad in [
        "",
        "/etc/passwd",
        "../x",
        "a/../../x",
        "appearance/../../x",
        "a//b",
        "a\\b",
        "./a",
        "appearance/",
    ] {
        assert_eq!(s.resolve(bad), None, "{bad:?}");
    }

    s.delete(&path).await.expect("delete");
    assert_eq!(s.size(&path).await, None);
    s.delete(&path).await.expect("missing file is fine");
    assert!(matches!(
        s.delete("../outside").await,
        Err(DomainError::BadRequest(_))
    ));
}

#[tokio::test]
async fn temporaries_are_not_resolvable() {
    let (tmp, s) = storage();
    let mut w = s.create("docs", "a.txt").await.expect("create");
    w.write(b"x").await.expect("write");
    let temp = all_files(tmp.path()).pop().unwrap_or_default();
    assert!(
        temp.starts_with("docs/.upload-") && temp.ends_with(".part"),
        "{temp}"
    );
    assert_eq!(s.resolve(&temp), None);
    w.abort().await;
}

#[cfg(unix)]
#[tokio::test]
async fn symlink_escaping_root_is_not_served() {
    let outside = tempfile::tempdir().expect("outside");
    std::fs::write(outside.path().join("secret.txt"), b"s").expect("write");
    let (tmp, s) = storage();
    std::os::unix::fs::symlink(outside.path(), tmp.path().join("link")).expect("symlink");
    assert!(s.resolve("link/secret.txt").is_some(), "lexically fine");
    assert!(
        s.resolve_existing("link/secret.txt").await.is_none(),
        "but escapes the root"
    );
}
