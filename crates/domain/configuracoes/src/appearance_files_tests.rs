use super::*;
use crate::ports::MockConfigRepository;
use crate::test_support::*;
use crate::{AppearanceFile, AppearancePatch};
use serde_json::json;

fn text(s: &str) -> Option<String> {
    Some(s.to_string())
}

#[test]
fn appearance_patch_and_files() {
    use kernel::storage::MockFileStorage;
    use mockall::Sequence;
    let state = seeded();
    let mut storage = MockFileStorage::new();
    let mut order = Sequence::new();
    let saved = |name: &str| name.len() == 32 + 4 && name.ends_with(".png");
    storage
        .expect_save()
        .withf(move |dir, name, data| dir == "appearance" && saved(name) && data == PNG_A)
        .times(1)
        .in_sequence(&mut order)
        .returning(|_, _, _| Ok("appearance/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.png".into()));
    storage
        .expect_save()
        .withf(move |dir, name, data| dir == "appearance" && saved(name) && data == PNG_B)
        .times(1)
        .in_sequence(&mut order)
        .returning(|_, _, _| Ok("appearance/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.png".into()));
    // The replaced file goes once the new URL is recorded; clearing removes the last one.
    storage
        .expect_delete()
        .with(mockall::predicate::eq(
            "appearance/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.png",
        ))
        .times(1)
        .in_sequence(&mut order)
        .returning(|_| Ok(()));
    storage
        .expect_delete()
        .with(mockall::predicate::eq(
            "appearance/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.png",
        ))
        .times(1)
        .in_sequence(&mut order)
        .returning(|_| Ok(()));
    let svc = service(&state, 4).with_storage(Arc::new(storage));
    let out = block_on(svc.patch_appearance(AppearancePatch {
        primary_color: text("red"),
        ..Default::default()
    }))
    .expect("patch");
    assert_eq!(out.primary_color.as_deref(), Some("red"));
    let url = block_on(svc.upload_appearance_file(AppearanceFile::Logo, "Logo.gif", PNG_A))
        .expect("upload");
    assert_eq!(
        url,
        "/media/appearance/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.png"
    );
    assert_eq!(
        stored(&state).appearance["login_logo_url"],
        json!("/media/appearance/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.png")
    );
    let url = block_on(svc.upload_appearance_file(AppearanceFile::Logo, "novo.png", PNG_B))
        .expect("upload again");
    assert_eq!(
        url,
        "/media/appearance/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.png"
    );
    block_on(svc.remove_appearance_file(AppearanceFile::Logo)).expect("clear");
    assert_eq!(stored(&state).appearance["login_logo_url"], json!(""));
    assert_eq!(stored(&state).appearance["favicon_url"], json!(""));
}

#[test]
fn an_upload_that_cannot_be_recorded_leaves_no_file() {
    use kernel::storage::MockFileStorage;
    let state = seeded();
    let mut storage = MockFileStorage::new();
    storage
        .expect_save()
        .returning(|_, _, _| Ok("appearance/x.png".into()));
    storage
        .expect_delete()
        .with(mockall::predicate::eq("appearance/x.png"))
        .times(1)
        .returning(|_| Ok(()));
    // The repository fails the write.
    let mut repo = MockConfigRepository::new();
    let st = state.clone();
    repo.expect_load()
        .returning(move || Ok(st.lock().expect("lock").clone()));
    repo.expect_update()
        .times(1)
        .returning(|_| Err(DomainError::internal("database down")));
    let svc = ConfigService::new(Arc::new(repo), Arc::new(cipher()), Arc::new(clock(t1())))
        .with_storage(Arc::new(storage));
    assert!(block_on(svc.upload_appearance_file(AppearanceFile::Favicon, "f.ico", ICO)).is_err());
}

const PNG_A: &[u8] = b"\x89PNG\r\n\x1a\na";
const PNG_B: &[u8] = b"\x89PNG\r\n\x1a\nb";
const ICO: &[u8] = &[0, 0, 1, 0, 1, 0, 16, 16];

#[test]
fn only_images_are_stored_as_appearance_files() {
    use kernel::storage::MockFileStorage;
    let state = seeded();
    let mut storage = MockFileStorage::new();
    storage.expect_save().times(0);
    let svc = service(&state, 0).with_storage(Arc::new(storage));
    for data in [
        &b"<html><script>alert(1)</script></html>"[..],
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>",
        b"",
    ] {
        match block_on(svc.upload_appearance_file(AppearanceFile::Logo, "logo.png", data)) {
            Err(DomainError::Refused(m)) => assert_eq!(m, NOT_AN_IMAGE),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}

#[test]
fn the_stored_name_takes_the_extension_of_the_content() {
    use kernel::storage::MockFileStorage;
    let state = seeded();
    let mut storage = MockFileStorage::new();
    storage
        .expect_save()
        .withf(|dir, name, _| dir == "appearance" && name.len() == 36 && name.ends_with(".ico"))
        .times(1)
        .returning(|_, name, _| Ok(format!("appearance/{name}")));
    let svc = service(&state, 1).with_storage(Arc::new(storage));
    let url = block_on(svc.upload_appearance_file(AppearanceFile::Favicon, "favicon.png", ICO))
        .expect("upload");
    assert!(url.starts_with("/media/appearance/") && url.ends_with(".ico"));
}

#[test]
fn urls_set_by_patch_never_delete_other_files() {
    use kernel::storage::MockFileStorage;
    let state = seeded();
    let mut storage = MockFileStorage::new();
    // Only the file the service stored itself may go.
    storage.expect_delete().times(0);
    storage
        .expect_save()
        .returning(|_, name, _| Ok(format!("appearance/{name}")));
    let svc = service(&state, 40).with_storage(Arc::new(storage));
    for url in [
        "/media/clientes/documentos/x.pdf",
        "/media/appearance/../clientes/documentos/x.pdf",
        "/media/appearance/logo.png",
        "/media/appearance/0123456789abcdef0123456789abcdef/../../x",
        "/media/appearance/sub/0123456789abcdef0123456789abcdef.png",
        "https://example.com/logo.png",
    ] {
        let logo = |u: &str| AppearancePatch {
            login_logo_url: text(u),
            ..Default::default()
        };
        let favicon = |u: &str| AppearancePatch {
            favicon_url: text(u),
            ..Default::default()
        };
        block_on(svc.patch_appearance(logo(url))).expect("patch");
        block_on(svc.remove_appearance_file(AppearanceFile::Logo)).expect("clear");
        block_on(svc.patch_appearance(favicon(url))).expect("patch");
        block_on(svc.upload_appearance_file(AppearanceFile::Favicon, "f.ico", ICO))
            .expect("upload");
        block_on(svc.patch_appearance(favicon(""))).expect("patch");
    }
}

#[test]
fn stored_appearance_file_names() {
    assert!(is_stored_appearance_file(
        "appearance/0123456789abcdef0123456789abcdef.png"
    ));
    assert!(is_stored_appearance_file(
        "appearance/0123456789abcdef0123456789abcdef"
    ));
    for p in [
        "appearance/0123456789abcdef0123456789abcdef.",
        "appearance/0123456789ABCDEF0123456789abcdef.png",
        "appearance/0123456789abcdef0123456789abcdef.p/ng",
        "appearance/0123456789abcdef0123456789abcde.png",
        "clientes/documentos/0123456789abcdef0123456789abcdef.pdf",
        "appearance/../0123456789abcdef0123456789abcdef.png",
        "appearance/0123456789abcdef0123456789abcdef.tar.gz",
    ] {
        assert!(!is_stored_appearance_file(p), "{p}");
    }
}
