//! Repository tests against a fresh database per test: SQLite in memory, or a fresh
//! PostgreSQL schema when `TEST_DATABASE_URL` is set.

use adapter_seaorm::*;
use authz::model::{AgentChanges, NewAgent};
use authz::ports::{AgentRepository, GroupRepository};
use chrono::{Duration, Utc};
use clientes::contato::{ContatoData, ContatoFilter};
use clientes::filter::ClienteFilter;
use clientes::grupo::GrupoData;
use clientes::ports::{ClienteRepository, ContatoRepository, GrupoEmpresaRepository};
use clientes::{ClienteData, ClienteResumo};
use kernel::{DomainError, OrderBy, PageRequest};
use migration::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;

// ---------------------------------------------------------------- harness

mod support;
use support::TestDb;

fn agent(username: &str) -> NewAgent {
    NewAgent {
        username: username.into(),
        email: format!("{username}@x.com"),
        display_name: username.to_uppercase(),
        phone_number: "".into(),
        is_active: true,
        is_superuser: false,
        password_hash: "hash".into(),
        groups: vec![],
    }
}

fn cliente(razao: &str, cnpj: &str) -> ClienteData {
    let mut d = ClienteData::defaults(cnpj.into());
    d.razao_social = razao.into();
    d
}

fn contato(cliente: i64, nome: &str, whatsapp: &str) -> ContatoData {
    ContatoData {
        cliente,
        nome: nome.into(),
        cargo: None,
        whatsapp: whatsapp.into(),
        email: None,
        ativo: true,
    }
}

fn page(n: u64, size: u64) -> PageRequest {
    PageRequest {
        page: Some(n),
        page_size: size,
    }
}

fn conflict<T: std::fmt::Debug>(r: kernel::Result<T>) -> bool {
    matches!(r, Err(DomainError::Conflict(_)))
}

/// A fresh database with the migrations that come before `name` (which must exist).
async fn migrated_before(name: &str) -> TestDb {
    let before = Migrator::migrations()
        .iter()
        .position(|m| m.name() == name)
        .expect("migration registered");
    TestDb::migrated(Some(before as u32)).await
}

async fn razoes(
    repo: &SeaOrmClienteRepository,
    f: &ClienteFilter,
    order: &[OrderBy],
) -> Vec<String> {
    let p = repo.list(f, order, page(1, 100)).await.unwrap().unwrap();
    // The narrow list path returns the same page, field for field.
    let r = repo
        .list_resumo(f, order, page(1, 100))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.count, p.count);
    assert_eq!(
        r.items,
        p.items
            .iter()
            .cloned()
            .map(ClienteResumo::from)
            .collect::<Vec<_>>()
    );
    p.items.into_iter().map(|c| c.data.razao_social).collect()
}

// ---------------------------------------------------------------- authz

#[tokio::test]
async fn agents_crud_groups_and_permissions() {
    let t = TestDb::new().await;
    let (agents, groups) = (t.agents(), t.groups());
    let g1 = groups.insert("Supervisor", &[1, 2, 2]).await.unwrap();
    assert_eq!(g1.permissions, vec![1, 2]);
    let g2 = groups.insert("Atendente", &[]).await.unwrap();
    assert!(conflict(groups.insert("Supervisor", &[]).await));

    let mut new = agent("maria");
    new.groups = vec![g1.id, g2.id];
    let a = agents.insert(new).await.unwrap();
    assert_eq!(agents.get(a.id).await.unwrap().unwrap(), a);
    assert_eq!(
        agents
            .find_by_username("maria")
            .await
            .unwrap()
            .unwrap()
            .groups,
        vec![g1.id, g2.id]
    );
    assert!(agents.find_by_username("MARIA").await.unwrap().is_none());
    assert!(conflict(agents.insert(agent("maria")).await));

    let codes = agents.permission_codes(a.id).await.unwrap();
    let expected: Vec<String> = [1, 2]
        .iter()
        .filter_map(|i| authz::permissions::by_id(*i))
        .map(|p| p.code())
        .collect();
    assert!(!expected.is_empty());
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    assert_eq!(codes, expected_sorted);

    let changes = AgentChanges {
        display_name: Some("Maria S".into()),
        groups: Some(vec![g2.id]),
        ..Default::default()
    };
    let u = agents.update(a.id, changes).await.unwrap();
    assert_eq!(
        (u.display_name.as_str(), u.groups.clone(), u.criado_em),
        ("Maria S", vec![g2.id], a.criado_em)
    );
    assert!(agents.permission_codes(a.id).await.unwrap().is_empty());
    // Groups only, and unknown agents.
    let u = agents
        .update(
            a.id,
            AgentChanges {
                groups: Some(vec![]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(u.groups.is_empty());
    assert!(matches!(
        agents.update(999, AgentChanges::default()).await,
        Err(DomainError::NotFound(_))
    ));
    assert!(matches!(
        agents
            .update(
                999,
                AgentChanges {
                    email: Some("x".into()),
                    ..Default::default()
                }
            )
            .await,
        Err(DomainError::NotFound(_))
    ));
    let b = agents.insert(agent("joao")).await.unwrap();
    assert!(conflict(
        agents
            .update(
                b.id,
                AgentChanges {
                    username: Some("maria".into()),
                    ..Default::default()
                }
            )
            .await
    ));

    assert!(!agents.any_superuser().await.unwrap());
    agents
        .update(
            b.id,
            AgentChanges {
                is_superuser: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(agents.any_superuser().await.unwrap());
    t.finish().await;
}

/// Taking `is_active` or `is_superuser` away from the last active superuser is refused by the
/// write itself and changes nothing; other agents and other superusers are not affected.
#[tokio::test]
async fn the_last_active_superuser_is_kept_by_the_write() {
    let t = TestDb::new().await;
    let agents = t.agents();
    let sup = |name: &str| NewAgent {
        is_superuser: true,
        ..agent(name)
    };
    let a = agents.insert(sup("a")).await.unwrap();
    let b = agents.insert(sup("b")).await.unwrap();
    let plain = agents.insert(agent("c")).await.unwrap();
    let off = AgentChanges {
        is_active: Some(false),
        ..Default::default()
    };
    let demote = AgentChanges {
        is_superuser: Some(false),
        display_name: Some("B".into()),
        ..Default::default()
    };
    agents.update(a.id, off.clone()).await.unwrap();
    let last = |r: Result<_, DomainError>| matches!(r, Err(DomainError::Conflict(m)) if m == authz::ports::LAST_SUPERUSER_CONFLICT);
    assert!(last(agents.update(b.id, off.clone()).await));
    assert!(last(agents.update(b.id, demote.clone()).await));
    let still = agents.get(b.id).await.unwrap().unwrap();
    assert!(still.is_active && still.is_superuser && still.display_name == "B");
    assert_eq!(agents.active_superusers().await.unwrap(), 1);
    // An inactive superuser and a plain agent can still be changed, and unknown ids are 404.
    agents.update(a.id, demote).await.unwrap();
    agents.update(plain.id, off.clone()).await.unwrap();
    assert!(matches!(
        agents.update(999, off).await,
        Err(DomainError::NotFound(_))
    ));
    t.finish().await;
}

/// `revoke_tokens` moves `tokens_not_before` past the current second; other changes keep it.
#[tokio::test]
async fn revoking_tokens_moves_tokens_not_before() {
    let t = TestDb::new().await;
    let agents = t.agents();
    let a = agents.insert(agent("ana")).await.unwrap();
    assert_eq!(a.tokens_not_before, 0);
    let before = Utc::now().timestamp();
    let u = agents
        .update(
            a.id,
            AgentChanges {
                password_hash: Some("new".into()),
                revoke_tokens: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(u.tokens_not_before > before && u.tokens_not_before <= Utc::now().timestamp() + 1);
    let v = agents
        .update(
            a.id,
            AgentChanges {
                display_name: Some("Ana".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(v.tokens_not_before, u.tokens_not_before);
    t.finish().await;
}

#[tokio::test]
async fn agent_list_pages() {
    let t = TestDb::new().await;
    let agents = t.agents();
    for i in 0..5 {
        agents.insert(agent(&format!("u{i}"))).await.unwrap();
    }
    let p = agents.list(page(2, 2)).await.unwrap().unwrap();
    assert_eq!((p.count, p.page, p.items.len()), (5, 2, 2));
    assert_eq!(p.items[0].username, "u2");
    let last = agents
        .list(PageRequest {
            page: None,
            page_size: 2,
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!((last.page, last.items.len()), (3, 1));
    assert!(agents.list(page(4, 2)).await.unwrap().is_none());
    t.finish().await;
}

#[tokio::test]
async fn groups_list_update_delete() {
    let t = TestDb::new().await;
    let (agents, groups) = (t.agents(), t.groups());
    let b = groups.insert("B", &[3]).await.unwrap();
    let a = groups.insert("A", &[1]).await.unwrap();
    let names: Vec<String> = groups
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.name)
        .collect();
    assert_eq!(names, vec!["A", "B"]);
    assert!(conflict(groups.update(b.id, Some("A".into()), None).await));
    let u = groups.update(b.id, None, Some(vec![5, 4])).await.unwrap();
    assert_eq!((u.name.as_str(), u.permissions), ("B", vec![4, 5]));
    let u = groups
        .update(b.id, Some("C".into()), Some(vec![]))
        .await
        .unwrap();
    assert_eq!((u.name.as_str(), u.permissions.len()), ("C", 0));
    assert!(matches!(
        groups.update(999, None, Some(vec![1])).await,
        Err(DomainError::NotFound(_))
    ));
    assert!(matches!(
        groups.update(999, Some("Z".into()), None).await,
        Err(DomainError::NotFound(_))
    ));
    assert_eq!(
        groups.existing(&[a.id, 999, b.id]).await.unwrap(),
        vec![b.id.min(a.id), b.id.max(a.id)]
    );
    assert!(groups.existing(&[]).await.unwrap().is_empty());

    let mut n = agent("ana");
    n.groups = vec![a.id];
    let ag = agents.insert(n).await.unwrap();
    assert!(groups.delete(a.id).await.unwrap());
    assert!(!groups.delete(a.id).await.unwrap());
    assert!(groups.get(a.id).await.unwrap().is_none());
    assert!(agents.get(ag.id).await.unwrap().unwrap().groups.is_empty());
    t.finish().await;
}

#[tokio::test]
async fn settings_keep_the_first_value() {
    let t = TestDb::new().await;
    let s = SeaOrmSettings::new(t.db.clone());
    assert_eq!(s.get("jwt").await.unwrap(), None);
    assert_eq!(s.set_if_absent("jwt", "one").await.unwrap(), "one");
    assert_eq!(s.set_if_absent("jwt", "two").await.unwrap(), "one");
    assert_eq!(s.get("jwt").await.unwrap().as_deref(), Some("one"));
    t.finish().await;
}

// ---------------------------------------------------------------- clientes

#[tokio::test]
async fn cliente_crud_and_conflicts() {
    let t = TestDb::new().await;
    let (agents, repo) = (t.agents(), t.clientes());
    let owner = agents.insert(agent("owner")).await.unwrap();
    let mut d = cliente("Acme Ltda", "11222333000181");
    d.nome_fantasia = Some("Acme".into());
    d.cidade = Some("São Paulo".into());
    let c = repo.insert(&d, Some(owner.id)).await.unwrap();
    assert_eq!(
        (c.data.clone(), c.criado_por, c.atualizado_por),
        (d.clone(), Some(owner.id), None)
    );
    assert_eq!(c.criado_em, c.atualizado_em);
    assert_eq!(repo.get(c.id, None).await.unwrap().unwrap(), c);
    assert_eq!(
        repo.get(c.id, Some(owner.id)).await.unwrap().unwrap().id,
        c.id
    );
    assert!(repo.get(c.id, Some(owner.id + 1)).await.unwrap().is_none());

    assert!(conflict(
        repo.insert(&cliente("Other", "11222333000181"), None).await
    ));
    let other = repo
        .insert(&cliente("Other", "45723174000110"), None)
        .await
        .unwrap();
    assert!(repo.cnpj_taken("11222333000181", None).await.unwrap());
    assert!(!repo.cnpj_taken("11222333000181", Some(c.id)).await.unwrap());
    assert!(
        repo.cnpj_taken("11222333000181", Some(other.id))
            .await
            .unwrap()
    );
    assert!(conflict(
        repo.update(other.id, &cliente("Other", "11222333000181"), None, None)
            .await
    ));

    let mut d2 = d.clone();
    d2.status = "inativo".into();
    d2.razao_social = "Acme SA".into();
    let u = repo.update(c.id, &d2, None, Some(owner.id)).await.unwrap();
    assert_eq!(
        (u.data.clone(), u.criado_por, u.atualizado_por, u.criado_em),
        (d2, Some(owner.id), Some(owner.id), c.criado_em)
    );
    assert!(u.atualizado_em >= c.atualizado_em);
    assert!(matches!(
        repo.update(999, &d, None, None).await,
        Err(DomainError::NotFound(_))
    ));

    assert_eq!(
        repo.find_by_cnpj("45723174000110")
            .await
            .unwrap()
            .unwrap()
            .id,
        other.id
    );
    assert!(repo.find_by_cnpj("00000000000000").await.unwrap().is_none());
    assert_eq!(
        repo.find_by_nome("acme sa").await.unwrap().unwrap().id,
        c.id
    );
    assert_eq!(repo.find_by_nome("ACME").await.unwrap().unwrap().id, c.id);
    assert!(repo.find_by_nome("acm").await.unwrap().is_none());

    repo.delete(c.id).await.unwrap();
    assert!(repo.get(c.id, None).await.unwrap().is_none());
    assert!(matches!(
        repo.delete(c.id).await,
        Err(DomainError::NotFound(_))
    ));
    t.finish().await;
}

#[tokio::test]
async fn cliente_list_filters_search_and_order() {
    let t = TestDb::new().await;
    let (agents, repo) = (t.agents(), t.clientes());
    let a1 = agents.insert(agent("a1")).await.unwrap().id;
    let a2 = agents.insert(agent("a2")).await.unwrap().id;
    let rows = [
        (
            "Beta Comércio",
            "11111111000191",
            "ativo",
            "SP",
            "Campinas",
            Some("beta@x.com"),
            a1,
        ),
        (
            "Alfa Serviços",
            "22222222000191",
            "inativo",
            "rj",
            "Rio",
            None,
            a1,
        ),
        (
            "Gama 100% Ltda",
            "33333333000191",
            "ativo",
            "sp",
            "",
            Some("gama@y.com"),
            a2,
        ),
        (
            "Delta_Tech",
            "44444444000191",
            "suspenso",
            "MG",
            "Belo Horizonte",
            None,
            a2,
        ),
    ];
    let mut ids = vec![];
    for (razao, cnpj, status, uf, cidade, email, owner) in rows {
        let mut d = cliente(razao, cnpj);
        d.status = status.into();
        d.estado = Some(uf.into());
        d.cidade = Some(cidade.into());
        d.email_principal = email.map(str::to_string);
        ids.push(repo.insert(&d, Some(owner)).await.unwrap().id);
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let def = [OrderBy::desc("criado_em")];
    let all = ClienteFilter::default();
    assert_eq!(
        razoes(&repo, &all, &def).await,
        [
            "Delta_Tech",
            "Gama 100% Ltda",
            "Alfa Serviços",
            "Beta Comércio"
        ]
    );
    let asc = [OrderBy::asc("razao_social")];
    assert_eq!(
        razoes(&repo, &all, &asc).await,
        [
            "Alfa Serviços",
            "Beta Comércio",
            "Delta_Tech",
            "Gama 100% Ltda"
        ]
    );
    // status then the id tiebreak in the same direction.
    let st = [OrderBy::desc("status")];
    assert_eq!(
        razoes(&repo, &all, &st).await,
        [
            "Delta_Tech",
            "Alfa Serviços",
            "Gama 100% Ltda",
            "Beta Comércio"
        ]
    );

    let f = |g: fn(&mut ClienteFilter)| {
        let mut f = ClienteFilter::default();
        g(&mut f);
        f
    };
    assert_eq!(
        razoes(&repo, &f(|f| f.search = vec!["comércio".into()]), &asc).await,
        ["Beta Comércio"]
    );
    assert_eq!(
        razoes(&repo, &f(|f| f.search = vec!["x.com".into()]), &asc).await,
        ["Beta Comércio"]
    );
    assert_eq!(
        razoes(&repo, &f(|f| f.search = vec!["3333".into()]), &asc).await,
        ["Gama 100% Ltda"]
    );
    assert_eq!(
        razoes(
            &repo,
            &f(|f| f.search = vec!["ltda".into(), "gama".into()]),
            &asc
        )
        .await,
        ["Gama 100% Ltda"]
    );
    assert!(
        razoes(
            &repo,
            &f(|f| f.search = vec!["ltda".into(), "beta".into()]),
            &asc
        )
        .await
        .is_empty()
    );
    assert_eq!(
        razoes(&repo, &f(|f| f.search = vec!["%".into()]), &asc).await,
        ["Gama 100% Ltda"]
    );
    assert_eq!(
        razoes(&repo, &f(|f| f.search = vec!["_".into()]), &asc).await,
        ["Delta_Tech"]
    );
    assert_eq!(
        razoes(&repo, &f(|f| f.q = vec!["alfa".into()]), &asc).await,
        ["Alfa Serviços"]
    );
    assert_eq!(
        razoes(&repo, &f(|f| f.status = Some("ativo".into())), &asc).await,
        ["Beta Comércio", "Gama 100% Ltda"]
    );
    assert_eq!(
        razoes(&repo, &f(|f| f.estado = Some("sp".into())), &asc).await,
        ["Beta Comércio", "Gama 100% Ltda"]
    );
    assert_eq!(
        razoes(
            &repo,
            &f(|f| f.icontains = vec![("cidade", "rio".into())]),
            &asc
        )
        .await,
        ["Alfa Serviços"]
    );
    assert_eq!(
        razoes(
            &repo,
            &f(|f| f.icontains = vec![("razao_social", "delta".into()), ("cidade", "belo".into())]),
            &asc
        )
        .await,
        ["Delta_Tech"]
    );
    assert_eq!(
        razoes(&repo, &f(|f| f.busca_geral = Some("gama@".into())), &asc).await,
        ["Gama 100% Ltda"]
    );
    assert_eq!(
        razoes(
            &repo,
            &f(|f| f.regime_tributario = Some("mei".into())),
            &asc
        )
        .await,
        Vec::<String>::new()
    );
    let mut scoped = ClienteFilter {
        owner: Some(a2),
        ..Default::default()
    };
    assert_eq!(
        razoes(&repo, &scoped, &asc).await,
        ["Delta_Tech", "Gama 100% Ltda"]
    );
    scoped.status = Some("ativo".into());
    assert_eq!(razoes(&repo, &scoped, &def).await, ["Gama 100% Ltda"]);

    let third = repo.get(ids[2], None).await.unwrap().unwrap().criado_em;
    assert_eq!(razoes(&repo, &f(|_| ()), &def).await.len(), 4);
    let after = ClienteFilter {
        criado_apos: Some(third),
        ..Default::default()
    };
    assert_eq!(
        razoes(&repo, &after, &def).await,
        ["Delta_Tech", "Gama 100% Ltda"]
    );
    let before = ClienteFilter {
        criado_antes: Some(third),
        ..Default::default()
    };
    assert_eq!(
        razoes(&repo, &before, &def).await,
        ["Gama 100% Ltda", "Alfa Serviços", "Beta Comércio"]
    );
    let upd = ClienteFilter {
        atualizado_apos: Some(Utc::now() + Duration::hours(1)),
        ..Default::default()
    };
    assert!(razoes(&repo, &upd, &def).await.is_empty());

    // Pagination.
    let p = repo.list(&all, &asc, page(2, 3)).await.unwrap().unwrap();
    assert_eq!((p.count, p.page, p.page_size, p.items.len()), (4, 2, 3, 1));
    assert_eq!(p.items[0].data.razao_social, "Gama 100% Ltda");
    assert!(repo.list(&all, &asc, page(3, 3)).await.unwrap().is_none());
    let last = repo
        .list(
            &all,
            &asc,
            PageRequest {
                page: None,
                page_size: 3,
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(last.page, 2);
    let none = ClienteFilter {
        search: vec!["zzz".into()],
        ..Default::default()
    };
    let empty = repo.list(&none, &asc, page(1, 20)).await.unwrap().unwrap();
    assert_eq!((empty.count, empty.items.len()), (0, 0));
    assert!(repo.list(&none, &asc, page(2, 20)).await.unwrap().is_none());
    t.finish().await;
}

#[tokio::test]
async fn cliente_stats_and_placeholders() {
    let t = TestDb::new().await;
    let (agents, repo) = (t.agents(), t.clientes());
    let a1 = agents.insert(agent("a1")).await.unwrap().id;
    // A fresh database starts the placeholder counter at 1.
    assert_eq!(repo.next_placeholder_seq().await.unwrap(), 1);
    let data = [
        (
            "00.000.000/0003-00",
            "ativo",
            "mei",
            Some("Campinas"),
            Some("SP"),
            Some(a1),
        ),
        (
            "00.000.000/0012-00",
            "ativo",
            "simples_nacional",
            Some("Campinas"),
            Some("SP"),
            Some(a1),
        ),
        (
            "00.000.000/0009-00",
            "bloqueado",
            "mei",
            Some(""),
            None,
            None,
        ),
        (
            "11222333000181",
            "inativo",
            "mei",
            Some("Rio"),
            Some("RJ"),
            None,
        ),
    ];
    for (cnpj, status, regime, cidade, uf, owner) in data {
        let mut d = cliente("X", cnpj);
        d.status = status.into();
        d.regime_tributario = regime.into();
        d.cidade = cidade.map(str::to_string);
        d.estado = uf.map(str::to_string);
        repo.insert(&d, owner).await.unwrap();
    }
    // The counter hands out numbers in sequence, whatever rows were inserted meanwhile.
    assert_eq!(repo.next_placeholder_seq().await.unwrap(), 2);
    repo.insert(&cliente("Y", "00.000.000/10000-00"), None)
        .await
        .unwrap();
    assert_eq!(repo.next_placeholder_seq().await.unwrap(), 3);

    let s = repo
        .stats(None, Utc::now() - Duration::days(30))
        .await
        .unwrap();
    assert_eq!(s.total, 5);
    assert_eq!(s.recentes, 5);
    assert_eq!(s.por_status.get("ativo"), Some(&3));
    assert_eq!(s.por_status.get("bloqueado"), Some(&1));
    assert_eq!(s.por_regime_tributario.get("mei"), Some(&3));
    assert_eq!(
        s.por_cidade,
        vec![("Campinas".to_string(), 2), ("Rio".to_string(), 1)]
    );
    assert_eq!(
        s.por_estado,
        vec![("SP".to_string(), 2), ("RJ".to_string(), 1)]
    );
    let s = repo
        .stats(Some(a1), Utc::now() + Duration::days(1))
        .await
        .unwrap();
    assert_eq!(
        (s.total, s.recentes, s.por_status.get("ativo")),
        (2, 0, Some(&2))
    );
    t.finish().await;
}

#[tokio::test]
async fn grupos_empresa_counts_and_detach() {
    let t = TestDb::new().await;
    let (grupos, repo) = (t.grupos(), t.clientes());
    let g = grupos
        .insert(&GrupoData {
            nome: "Holding Norte".into(),
            descricao: Some("Empresas do norte".into()),
            ativo: true,
        })
        .await
        .unwrap();
    let h = grupos
        .insert(&GrupoData {
            nome: "Alpha".into(),
            descricao: None,
            ativo: false,
        })
        .await
        .unwrap();
    assert_eq!(g.empresas_count, 0);
    let mut d = cliente("Filha", "11222333000181");
    d.grupo_empresa = Some(g.id);
    let c = repo.insert(&d, None).await.unwrap();
    assert_eq!(c.grupo_empresa_nome.as_deref(), Some("Holding Norte"));
    let listed = repo
        .list(&ClienteFilter::default(), &[], page(1, 20))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        listed.items[0].grupo_empresa_nome.as_deref(),
        Some("Holding Norte")
    );
    assert_eq!(grupos.get(g.id).await.unwrap().unwrap().empresas_count, 1);

    let p = grupos
        .list(&[], &[OrderBy::asc("nome")], page(1, 20))
        .await
        .unwrap()
        .unwrap();
    let v: Vec<(String, u64)> = p
        .items
        .iter()
        .map(|g| (g.nome.clone(), g.empresas_count))
        .collect();
    assert_eq!(v, vec![("Alpha".into(), 0), ("Holding Norte".into(), 1)]);
    let p = grupos
        .list(&["norte".into()], &[], page(1, 20))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((p.count, p.items[0].id), (1, g.id));
    let p = grupos
        .list(&["empresas".into(), "do".into()], &[], page(1, 20))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.count, 1);
    assert!(grupos.list(&[], &[], page(2, 20)).await.unwrap().is_none());

    let u = grupos
        .update(
            h.id,
            &GrupoData {
                nome: "Beta".into(),
                descricao: Some("d".into()),
                ativo: true,
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        (u.nome.as_str(), u.ativo, u.criado_em),
        ("Beta", true, h.criado_em)
    );
    assert!(matches!(
        grupos
            .update(
                999,
                &GrupoData {
                    nome: "x".into(),
                    descricao: None,
                    ativo: true
                },
                None
            )
            .await,
        Err(DomainError::NotFound(_))
    ));
    assert!(grupos.delete(g.id).await.unwrap());
    assert!(!grupos.delete(g.id).await.unwrap());
    let c = repo.get(c.id, None).await.unwrap().unwrap();
    assert_eq!((c.data.grupo_empresa, c.grupo_empresa_nome), (None, None));
    t.finish().await;
}

// ---------------------------------------------------------------- contatos

#[tokio::test]
async fn contatos_crud_scope_and_cascade() {
    let t = TestDb::new().await;
    let (repo, contatos) = (t.clientes(), t.contatos());
    let ativo = repo
        .insert(&cliente("Ativa SA", "11222333000181"), None)
        .await
        .unwrap();
    let mut d = cliente("Inativa SA", "45723174000110");
    d.status = "inativo".into();
    let inativo = repo.insert(&d, None).await.unwrap();

    let c1 = contatos
        .insert(&contato(ativo.id, "Zé", "+5511999990001"))
        .await
        .unwrap();
    assert_eq!(c1.cliente_nome, "Ativa SA");
    assert!(conflict(
        contatos
            .insert(&contato(ativo.id, "Outro", "+5511999990001"))
            .await
    ));
    let mut c2d = contato(ativo.id, "Ana", "+5511999990002");
    c2d.email = Some("ana@ativa.com".into());
    let c2 = contatos.insert(&c2d).await.unwrap();
    let c3 = contatos
        .insert(&contato(inativo.id, "Bia", "+5511999990001"))
        .await
        .unwrap();
    assert_eq!(contatos.get(c1.id, true).await.unwrap().unwrap(), c1);
    assert!(contatos.get(c3.id, true).await.unwrap().is_none());
    assert_eq!(
        contatos
            .get(c3.id, false)
            .await
            .unwrap()
            .unwrap()
            .cliente_nome,
        "Inativa SA"
    );

    let nomes = |p: kernel::Page<clientes::Contato>| {
        p.items.into_iter().map(|c| c.data.nome).collect::<Vec<_>>()
    };
    let by_nome = [OrderBy::asc("nome")];
    let all = ContatoFilter::default();
    assert_eq!(
        nomes(
            contatos
                .list(&all, &by_nome, page(1, 20))
                .await
                .unwrap()
                .unwrap()
        ),
        ["Ana", "Bia", "Zé"]
    );
    let scoped = ContatoFilter {
        only_active_clientes: true,
        ..Default::default()
    };
    assert_eq!(
        nomes(
            contatos
                .list(&scoped, &by_nome, page(1, 20))
                .await
                .unwrap()
                .unwrap()
        ),
        ["Ana", "Zé"]
    );
    let s = ContatoFilter {
        search: vec!["inativa".into()],
        ..Default::default()
    };
    assert_eq!(
        nomes(
            contatos
                .list(&s, &by_nome, page(1, 20))
                .await
                .unwrap()
                .unwrap()
        ),
        ["Bia"]
    );
    let s = ContatoFilter {
        search: vec!["@ativa".into()],
        ..Default::default()
    };
    assert_eq!(
        nomes(
            contatos
                .list(&s, &by_nome, page(1, 20))
                .await
                .unwrap()
                .unwrap()
        ),
        ["Ana"]
    );
    let s = ContatoFilter {
        cliente: Some(ativo.id),
        icontains: vec![("whatsapp", "0001".into())],
        ..Default::default()
    };
    assert_eq!(
        nomes(
            contatos
                .list(&s, &by_nome, page(1, 20))
                .await
                .unwrap()
                .unwrap()
        ),
        ["Zé"]
    );
    let desc = [OrderBy::desc("criado_em")];
    assert_eq!(
        nomes(
            contatos
                .list(&all, &desc, page(1, 2))
                .await
                .unwrap()
                .unwrap()
        ),
        ["Bia", "Ana"]
    );
    assert!(
        contatos
            .list(&all, &desc, page(3, 2))
            .await
            .unwrap()
            .is_none()
    );

    let found = contatos
        .find_active_by_whatsapp("+5511999990001")
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![c1.id, c3.id]
    );

    let mut upd = c2.data.clone();
    upd.nome = "Ana Maria".into();
    upd.cargo = Some("Gerente".into());
    let u = contatos.update(c2.id, &upd, None).await.unwrap();
    assert_eq!((u.data, u.criado_em), (upd.clone(), c2.criado_em));
    upd.whatsapp = "+5511999990001".into();
    assert!(conflict(contatos.update(c2.id, &upd, None).await));
    assert!(matches!(
        contatos.update(999, &upd, None).await,
        Err(DomainError::NotFound(_))
    ));

    contatos.deactivate(c1.id).await.unwrap();
    assert!(contatos.get(c1.id, false).await.unwrap().is_none());
    assert_eq!(
        contatos
            .find_active_by_whatsapp("+5511999990001")
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        nomes(
            contatos
                .list(&all, &by_nome, page(1, 20))
                .await
                .unwrap()
                .unwrap()
        ),
        ["Ana Maria", "Bia"]
    );
    // `ativo = false` is the soft delete: the filter narrows the `ativo = true` scope, so a
    // deleted contato is never listed.
    let inactive = ContatoFilter {
        ativo: Some(false),
        ..Default::default()
    };
    assert!(
        nomes(
            contatos
                .list(&inactive, &by_nome, page(1, 20))
                .await
                .unwrap()
                .unwrap()
        )
        .is_empty()
    );
    assert!(matches!(
        contatos.deactivate(999).await,
        Err(DomainError::NotFound(_))
    ));

    repo.delete(ativo.id).await.unwrap();
    assert_eq!(
        nomes(
            contatos
                .list(&all, &by_nome, page(1, 20))
                .await
                .unwrap()
                .unwrap()
        ),
        ["Bia"]
    );
    let gone = ContatoFilter {
        ativo: Some(false),
        ..Default::default()
    };
    assert_eq!(
        contatos
            .list(&gone, &by_nome, page(1, 20))
            .await
            .unwrap()
            .unwrap()
            .count,
        0
    );
    t.finish().await;
}

/// The cadastro manual's writes through the unit of work: the new cliente (when given), then
/// the contato pointing at it, in one transaction.
async fn cadastrar(
    db: &sea_orm::DatabaseConnection,
    empresa: Option<ClienteData>,
    c: &ContatoData,
) -> Result<clientes::Contato, DomainError> {
    use clientes::ports::UnitOfWork;
    let uow = SeaOrmUnitOfWork::new(db.clone());
    let mut tx = uow.begin().await?;
    let mut c = c.clone();
    if let Some(e) = &empresa {
        c.cliente = tx.insert_cliente(e, None).await?.id;
    }
    let out = tx.insert_contato(&c).await?;
    tx.commit().await?;
    Ok(out)
}

#[tokio::test]
async fn cadastrar_is_atomic() {
    let t = TestDb::new().await;
    let (repo, contatos) = (t.clientes(), t.contatos());
    let existing = repo
        .insert(&cliente("Existente", "11222333000181"), None)
        .await
        .unwrap();

    // Existing cliente.
    let c = cadastrar(&t.db, None, &contato(existing.id, "Zé", "+5511999990001"))
        .await
        .unwrap();
    assert_eq!(
        (c.data.cliente, c.cliente_nome.as_str()),
        (existing.id, "Existente")
    );

    // New empresa: created together with the contato (which points at it).
    let nova = cliente("Nova", "00.000.000/0001-00");
    let c = cadastrar(&t.db, Some(nova), &contato(0, "Ana", "+5511999990002"))
        .await
        .unwrap();
    let created = repo
        .find_by_cnpj("00.000.000/0001-00")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (c.data.cliente, c.cliente_nome.as_str(), created.criado_por),
        (created.id, "Nova", None)
    );

    // A taken CNPJ: nothing is stored.
    let r = cadastrar(
        &t.db,
        Some(cliente("Dup", "11222333000181")),
        &contato(0, "X", "+5511999990003"),
    )
    .await;
    assert!(conflict(r));
    assert!(
        contatos
            .find_active_by_whatsapp("+5511999990003")
            .await
            .unwrap()
            .is_empty()
    );

    // The contato insert fails after the new cliente was inserted: the cliente is rolled back.
    // (A test-only unique index makes the second statement conflict.)
    t.db.execute_unprepared("CREATE UNIQUE INDEX test_only_whatsapp ON contatos (whatsapp)")
        .await
        .unwrap();
    let r = cadastrar(
        &t.db,
        Some(cliente("Rollback", "00.000.000/0002-00")),
        &contato(0, "Y", "+5511999990002"),
    )
    .await;
    assert!(conflict(r));
    assert!(
        repo.find_by_cnpj("00.000.000/0002-00")
            .await
            .unwrap()
            .is_none()
    );
    assert!(repo.find_by_nome("Rollback").await.unwrap().is_none());
    t.finish().await;
}

// ---------------------------------------------------------------- concurrency

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_do_not_fail() {
    // SQLite: a real file with the production pool (WAL, busy timeout on every connection).
    let path = std::env::temp_dir().join(format!("dx-seaorm-{:016x}.db", rand::random::<u64>()));
    let t = match std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(_) => TestDb::new().await,
        None => {
            let db = connect(&format!("sqlite://{}?mode=rwc", path.display()))
                .await
                .unwrap();
            migrate(&db).await.unwrap();
            TestDb::wrap(db)
        }
    };
    let mut tasks = Vec::new();
    for i in 0..64u32 {
        let repo = t.clientes();
        let db = t.db.clone();
        tasks.push(tokio::spawn(async move {
            let c = repo
                .insert(
                    &cliente(&format!("C{i}"), &format!("00.000.000/{i:04}-00")),
                    None,
                )
                .await?;
            cadastrar(&db, None, &contato(c.id, "N", &format!("+55119999{i:05}"))).await?;
            repo.list(
                &ClienteFilter::default(),
                &[OrderBy::desc("criado_em")],
                page(1, 20),
            )
            .await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let p = t
        .clientes()
        .list(&ClienteFilter::default(), &[], page(1, 20))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.count, 64);
    // Cascades work whichever pooled connection runs the delete.
    let mut deletes = Vec::new();
    for i in 0..8u32 {
        let repo = t.clientes();
        deletes.push(tokio::spawn(async move {
            let c = repo.find_by_cnpj(&format!("00.000.000/{i:04}-00")).await?;
            repo.delete(c.map(|c| c.id).unwrap_or(-1)).await
        }));
    }
    for d in deletes {
        d.await.unwrap().unwrap();
    }
    let all = ContatoFilter {
        ativo: None,
        ..Default::default()
    };
    assert_eq!(
        t.contatos()
            .list(&all, &[], page(1, 20))
            .await
            .unwrap()
            .unwrap()
            .count,
        56
    );
    t.finish().await;
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(path.with_extension("db-wal"));
    let _ = std::fs::remove_file(path.with_extension("db-shm"));
}

// ---------------------------------------------------------------- placeholders, search index, seeding

/// SQLite on a real file with the production pool (many connections), or a PostgreSQL schema.
async fn pooled_db(path: &std::path::Path) -> TestDb {
    match std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(_) => TestDb::new().await,
        None => {
            let db = connect(&format!("sqlite://{}?mode=rwc", path.display()))
                .await
                .unwrap();
            migrate(&db).await.unwrap();
            TestDb::wrap(db)
        }
    }
}

fn remove_sqlite(path: &std::path::Path) {
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_file(path.with_extension("db-wal"));
    let _ = std::fs::remove_file(path.with_extension("db-shm"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creations_get_distinct_placeholders() {
    use clientes::service::ClienteService;
    use std::sync::Arc;
    let path = std::env::temp_dir().join(format!("dx-seaorm-{:016x}.db", rand::random::<u64>()));
    let t = pooled_db(&path).await;
    let service = Arc::new(ClienteService::new(
        Arc::new(t.clientes()),
        Arc::new(t.grupos()),
        Arc::new(kernel::SystemClock),
    ));
    let mut tasks = Vec::new();
    for i in 0..64 {
        let service = service.clone();
        tasks.push(tokio::spawn(async move {
            let mut d = ClienteData::defaults(String::new());
            d.razao_social = format!("Sem CNPJ {i}");
            service.insert_with_placeholder(d, None).await
        }));
    }
    let mut cnpjs = Vec::new();
    for task in tasks {
        cnpjs.push(task.await.unwrap().unwrap().data.cnpj);
    }
    cnpjs.sort();
    cnpjs.dedup();
    assert_eq!(cnpjs.len(), 64);
    assert_eq!(cnpjs[0], "00.000.000/0001-00");
    assert_eq!(cnpjs[63], "00.000.000/0064-00");
    t.finish().await;
    remove_sqlite(&path);
}

#[tokio::test]
async fn placeholder_counter_and_search_index_start_from_existing_rows() {
    // Rows stored before migration 000003 ran.
    let t = migrated_before("m20261126_000003_cliente_counters_search").await;
    let repo = t.clientes();
    for (razao, cnpj) in [
        ("Antiga Alfa", "00.000.000/0041-00"),
        ("Antiga Beta", "00.000.000/12345-00"),
        ("Antiga Gama", "00.000.000/00x1-00"),
        ("Real", "11222333000181"),
    ] {
        repo.insert(&cliente(razao, cnpj), None).await.unwrap();
    }
    migrate(&t.db).await.unwrap();
    assert_eq!(repo.next_placeholder_seq().await.unwrap(), 12346);
    let search = ClienteFilter {
        search: vec!["antiga".into(), "beta".into()],
        ..Default::default()
    };
    assert_eq!(
        razoes(&repo, &search, &[OrderBy::asc("razao_social")]).await,
        ["Antiga Beta"]
    );
    t.finish().await;
}

#[tokio::test]
async fn search_index_follows_writes() {
    let t = TestDb::new().await;
    let repo = t.clientes();
    let asc = [OrderBy::asc("razao_social")];
    let search = |terms: &[&str]| ClienteFilter {
        search: terms.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    let mut d = cliente("Padaria Pão Quente", "11222333000181");
    d.email_principal = Some("Vendas@Padaria.com.br".into());
    let id = repo.insert(&d, None).await.unwrap().id;
    repo.insert(&cliente("Oficina Roda Viva", "11444777000161"), None)
        .await
        .unwrap();
    // Indexed terms (≥ 3 chars), short terms (LIKE), both, accents, the email, no match.
    assert_eq!(
        razoes(&repo, &search(&["pão"]), &asc).await,
        ["Padaria Pão Quente"]
    );
    assert_eq!(
        razoes(&repo, &search(&["ão"]), &asc).await,
        ["Padaria Pão Quente"]
    );
    assert_eq!(
        razoes(&repo, &search(&["a", "viva"]), &asc).await,
        ["Oficina Roda Viva"]
    );
    assert_eq!(
        razoes(&repo, &search(&["vendas@padaria"]), &asc).await,
        ["Padaria Pão Quente"]
    );
    assert_eq!(
        razoes(&repo, &search(&["222333"]), &asc).await,
        ["Padaria Pão Quente"]
    );
    assert!(
        razoes(&repo, &search(&["quente\"viva"]), &asc)
            .await
            .is_empty()
    );
    assert_eq!(razoes(&repo, &search(&["da"]), &asc).await.len(), 2);
    // An update moves the row in the index; a delete removes it.
    let mut d2 = d.clone();
    d2.razao_social = "Confeitaria Doce".into();
    repo.update(id, &d2, None, None).await.unwrap();
    assert!(razoes(&repo, &search(&["quente"]), &asc).await.is_empty());
    assert_eq!(
        razoes(&repo, &search(&["doce"]), &asc).await,
        ["Confeitaria Doce"]
    );
    // Updating other columns keeps it findable.
    let mut d3 = d2.clone();
    d3.cidade = Some("Campinas".into());
    repo.update(id, &d3, None, None).await.unwrap();
    assert_eq!(
        razoes(&repo, &search(&["doce"]), &asc).await,
        ["Confeitaria Doce"]
    );
    repo.delete(id).await.unwrap();
    assert!(razoes(&repo, &search(&["doce"]), &asc).await.is_empty());
    assert!(razoes(&repo, &search(&["padaria"]), &asc).await.is_empty());
    t.finish().await;
}

#[tokio::test]
async fn resumo_pages_and_last_page() {
    let t = TestDb::new().await;
    let repo = t.clientes();
    let g = t
        .grupos()
        .insert(&GrupoData {
            nome: "Grupo X".into(),
            descricao: None,
            ativo: true,
        })
        .await
        .unwrap();
    assert_eq!(repo.seed(45).await.unwrap(), 45);
    let mut d = cliente("Com Grupo", "11222333000181");
    d.grupo_empresa = Some(g.id);
    repo.insert(&d, None).await.unwrap();
    let all = ClienteFilter::default();
    let def = [OrderBy::desc("criado_em")];
    for n in [1, 2, 3] {
        let full = repo.list(&all, &def, page(n, 20)).await.unwrap().unwrap();
        let r = repo
            .list_resumo(&all, &def, page(n, 20))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((r.count, r.page, r.page_size), (46, n, 20));
        assert_eq!(
            r.items,
            full.items
                .into_iter()
                .map(ClienteResumo::from)
                .collect::<Vec<_>>()
        );
    }
    assert_eq!(
        repo.list_resumo(&all, &def, page(1, 20))
            .await
            .unwrap()
            .unwrap()
            .items[0]
            .grupo_empresa_nome
            .as_deref(),
        Some("Grupo X")
    );
    let last = PageRequest {
        page: None,
        page_size: 20,
    };
    let r = repo.list_resumo(&all, &def, last).await.unwrap().unwrap();
    assert_eq!((r.page, r.items.len()), (3, 6));
    assert!(
        repo.list_resumo(&all, &def, page(4, 20))
            .await
            .unwrap()
            .is_none()
    );
    let none = ClienteFilter {
        search: vec!["nada disso".into()],
        ..Default::default()
    };
    let r = repo
        .list_resumo(&none, &def, page(1, 20))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r.count, r.items.len()), (0, 0));
    assert!(
        repo.list_resumo(&none, &def, page(2, 20))
            .await
            .unwrap()
            .is_none()
    );
    t.finish().await;
}

#[tokio::test]
async fn seeding_inserts_valid_distinct_rows() {
    let t = TestDb::new().await;
    let repo = t.clientes();
    assert_eq!(repo.seed(1_200).await.unwrap(), 1_200);
    assert_eq!(repo.seed(10).await.unwrap(), 10);
    let all = ClienteFilter::default();
    let p = repo
        .list_resumo(&all, &[], page(1, 5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.count, 1_210);
    for c in &p.items {
        assert!(
            kernel::values::Cnpj::parse_formatted(&c.cnpj).is_ok(),
            "{}",
            c.cnpj
        );
    }
    let silva = ClienteFilter {
        search: vec!["silva".into()],
        ..Default::default()
    };
    let n = repo
        .list_resumo(&silva, &[], page(1, 5))
        .await
        .unwrap()
        .unwrap()
        .count;
    assert!(n > 0 && n < 1_210, "{n}");
    t.finish().await;
}

// ---------------------------------------------------------------- throughput (manual)

/// `cargo test --release -p adapter-seaorm --test repos -- --ignored --nocapture list_throughput`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn list_throughput() {
    let path =
        std::env::temp_dir().join(format!("dx-seaorm-bench-{:016x}.db", rand::random::<u64>()));
    let db = connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .unwrap();
    migrate(&db).await.unwrap();
    let repo = SeaOrmClienteRepository::new(db.clone());
    let started = std::time::Instant::now();
    for i in 0..10_000u32 {
        let mut d = cliente(&format!("Empresa {i}"), &format!("00.000.000/{i:04}-00"));
        d.email_principal = Some(format!("contato{i}@empresa.com"));
        d.cidade = Some(format!("Cidade {}", i % 50));
        repo.insert(&d, None).await.unwrap();
    }
    eprintln!("10k inserts: {:?}", started.elapsed());
    for (name, filter) in [
        ("default page", ClienteFilter::default()),
        (
            "owner page",
            ClienteFilter {
                owner: Some(1),
                ..Default::default()
            },
        ),
        (
            "search",
            ClienteFilter {
                search: vec!["empresa".into(), "99".into()],
                ..Default::default()
            },
        ),
    ] {
        let n = 4000;
        let started = std::time::Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let repo = SeaOrmClienteRepository::new(db.clone());
            let filter = filter.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..n / 8 {
                    repo.list(&filter, &[OrderBy::desc("criado_em")], page(3, 20))
                        .await
                        .unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let secs = started.elapsed().as_secs_f64();
        eprintln!("{name}: {:.0} lists/s", n as f64 / secs);
    }
    db.close().await.unwrap();
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(path.with_extension("db-wal"));
    let _ = std::fs::remove_file(path.with_extension("db-shm"));
}

// ---------------------------------------------------------------- group commit of inserts

/// A file-based SQLite database (or a PostgreSQL schema) with its path to remove.
async fn file_db(tag: &str) -> (TestDb, std::path::PathBuf) {
    let path =
        std::env::temp_dir().join(format!("dx-seaorm-{tag}-{:016x}.db", rand::random::<u64>()));
    (pooled_db(&path).await, path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_inserts_get_distinct_ids_and_placeholders() {
    use std::sync::Arc;
    let (t, path) = file_db("group").await;
    let a1 = t.agents().insert(agent("a1")).await.unwrap().id;
    let g = t
        .grupos()
        .insert(&GrupoData {
            nome: "Holding".into(),
            descricao: None,
            ativo: true,
        })
        .await
        .unwrap();
    let repo = Arc::new(t.clientes());
    let mut tasks = Vec::new();
    for i in 0..200u32 {
        let repo = repo.clone();
        tasks.push(tokio::spawn(async move {
            let mut d = cliente(&format!("Lote {i}"), "");
            d.grupo_empresa = i.is_multiple_of(3).then_some(g.id);
            if i.is_multiple_of(2) {
                repo.insert_with_placeholder(&d, Some(a1)).await
            } else {
                d.cnpj = format!("11.111.111/{i:04}-00");
                repo.insert(&d, None).await
            }
        }));
    }
    let mut stored = Vec::new();
    for task in tasks {
        stored.push(task.await.unwrap().unwrap());
    }
    let mut ids: Vec<i64> = stored.iter().map(|c| c.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 200);
    let mut placeholders: Vec<&str> = stored
        .iter()
        .filter(|c| c.data.cnpj.starts_with("00.000.000/"))
        .map(|c| c.data.cnpj.as_str())
        .collect();
    placeholders.sort();
    placeholders.dedup();
    assert_eq!(placeholders.len(), 100);
    assert_eq!(placeholders[0], "00.000.000/0001-00");
    assert_eq!(placeholders[99], "00.000.000/0100-00");
    // Every answer is the row as stored, with its group's name and its author.
    for c in &stored {
        assert_eq!(repo.get(c.id, None).await.unwrap().as_ref(), Some(c));
        let n: u32 = c.data.razao_social[5..].parse().unwrap();
        assert_eq!(c.criado_por, n.is_multiple_of(2).then_some(a1));
        let grupo = n.is_multiple_of(3).then(|| "Holding".to_string());
        assert_eq!(c.grupo_empresa_nome, grupo);
    }
    assert_eq!(repo.next_placeholder_seq().await.unwrap(), 101);
    drop(repo);
    t.finish().await;
    remove_sqlite(&path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_taken_cnpj_fails_only_its_own_insert_in_a_batch() {
    use std::sync::Arc;
    // The group-commit writer is SQLite's: this test runs on a SQLite file on every back-end.
    let path = std::env::temp_dir().join(format!(
        "dx-seaorm-conflict-{:016x}.db",
        rand::random::<u64>()
    ));
    let db = connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .unwrap();
    migrate(&db).await.unwrap();
    let t = TestDb::wrap(db);
    let database = Database::new(t.db.clone());
    let repo = Arc::new(SeaOrmClienteRepository::new(&database));
    repo.insert(&cliente("Existente", "11.222.333/0001-81"), None)
        .await
        .unwrap();
    // The writer starts no batch while held: the inserts below all queue, then go as one.
    let writer = database.writer().expect("SQLite has a writer");
    let hold = writer.hold().await;
    let spawn = |d: ClienteData| {
        let repo = repo.clone();
        tokio::spawn(async move { repo.insert(&d, None).await })
    };
    let primer = spawn(cliente("Primeiro", "33.444.555/0001-00"));
    let mut tasks = Vec::new();
    for i in 0..30u32 {
        let cnpj = match i {
            10 => "11.222.333/0001-81".to_string(),
            20 | 21 => "22.333.444/0001-05".to_string(),
            _ => format!("44.555.666/{i:04}-00"),
        };
        let mut d = cliente(&format!("Item {i}"), &cnpj);
        if i == 5 {
            // An unknown group: a foreign-key violation, also this item's own.
            d.grupo_empresa = Some(999_999);
        }
        tasks.push(spawn(d));
    }
    tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while writer.pending() < 31 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("31 inserts queued");
    drop(hold);
    assert!(primer.await.unwrap().is_ok());
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    assert!(conflict(results.remove(10)));
    assert!(matches!(results.remove(5), Err(DomainError::Internal(_))));
    // Of the two items sharing a new CNPJ, exactly one is stored.
    let (a, b) = (results.remove(18), results.remove(18));
    assert!(a.is_ok() != b.is_ok(), "{a:?} {b:?}");
    assert!(conflict(if a.is_ok() { b } else { a }));
    for r in &results {
        assert!(r.is_ok(), "{r:?}");
    }
    // 1 existing + primer + 26 distinct + one of the pair.
    let all = repo
        .list(&ClienteFilter::default(), &[], page(1, 100))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(all.count, 29);
    // The 31 queued inserts were one batch.
    assert_eq!(writer.largest_batch(), 31);
    let existente = repo
        .find_by_cnpj("11.222.333/0001-81")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(existente.data.razao_social, "Existente");
    // Stopping the writer commits what is queued; inserts after it fail, never hang.
    database.stop_writer().await;
    assert!(matches!(
        repo.insert(&cliente("Tarde", "55.666.777/0001-00"), None)
            .await,
        Err(DomainError::Internal(_))
    ));
    drop(repo);
    t.finish().await;
    remove_sqlite(&path);
}

#[tokio::test]
async fn placeholders_taken_by_hand_are_skipped_then_given_up() {
    let t = TestDb::new().await;
    let repo = t.clientes();
    for n in [1, 2] {
        repo.insert(&cliente("À mão", &format!("00.000.000/{n:04}-00")), None)
            .await
            .unwrap();
    }
    let c = repo
        .insert_with_placeholder(&cliente("Nova", ""), None)
        .await
        .unwrap();
    assert_eq!(c.data.cnpj, "00.000.000/0003-00");
    assert_eq!(repo.get(c.id, None).await.unwrap(), Some(c));
    // A real CNPJ goes in as given; taken → Conflict.
    assert!(conflict(
        repo.insert_with_placeholder(&cliente("Dup", "00.000.000/0003-00"), None)
            .await
    ));
    for n in 4..4 + 16 {
        repo.insert(&cliente("À mão", &format!("00.000.000/{n:04}-00")), None)
            .await
            .unwrap();
    }
    assert!(matches!(
        repo.insert_with_placeholder(&cliente("Sem número", ""), None)
            .await,
        Err(DomainError::Internal(_))
    ));
    t.finish().await;
}

/// `cargo test -p adapter-seaorm --test repos insert_throughput -- --ignored --nocapture`:
/// concurrent inserts through the repository (the group-commit path on SQLite).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn insert_throughput() {
    use std::sync::Arc;
    let (t, path) = file_db("insert-bench").await;
    let repo = Arc::new(t.clientes());
    let (tasks_n, per_task) = (64u32, 200u32);
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for k in 0..tasks_n {
        let repo = repo.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..per_task {
                let mut d = cliente(&format!("Bench {k} {i}"), "");
                d.email_principal = Some("bench@example.com".into());
                repo.insert_with_placeholder(&d, None).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{} inserts: {:.0} inserts/s",
        tasks_n * per_task,
        f64::from(tasks_n * per_task) / secs
    );
    drop(repo);
    t.finish().await;
    remove_sqlite(&path);
}

/// SQLite: FTS5's own merges are off (migration 000004) and the group-commit writer does a
/// bounded step of merge work after every batch, so the trigram index stays at a handful of
/// segments (FTS5 left alone with `automerge=0` would pile up to 64 per level) and search
/// keeps finding every row.
#[tokio::test]
async fn the_writer_keeps_the_search_index_merged() {
    let path =
        std::env::temp_dir().join(format!("dx-seaorm-fts-{:016x}.db", rand::random::<u64>()));
    let db = connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .unwrap();
    migrate(&db).await.unwrap();
    let t = TestDb::wrap(db);
    let repo = t.clientes();
    for i in 0..400 {
        repo.insert_with_placeholder(&cliente(&format!("Loja {i:03} Comércio"), ""), None)
            .await
            .unwrap();
    }
    let segments: i64 =
        t.db.query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "SELECT count(DISTINCT segid) FROM clientes_fts_idx",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    assert!(segments <= 12, "{segments} segments in clientes_fts");
    let search = |term: &str| ClienteFilter {
        search: vec![term.to_string()],
        ..Default::default()
    };
    let asc = [OrderBy::asc("razao_social")];
    assert_eq!(
        razoes(&repo, &search("loja 399"), &asc).await,
        ["Loja 399 Comércio"]
    );
    assert_eq!(
        razoes(&repo, &search("loja 00"), &asc).await.len(),
        10,
        "Loja 000 … Loja 009"
    );
    drop(repo);
    drop(t);
    remove_sqlite(&path);
}

/// `icontains` filters and searches ignore the case of every letter, not only ASCII: Brazilian
/// records are often in capitals (`SÃO PAULO`, `JOÃO`), and users type in lowercase.
#[tokio::test]
async fn case_insensitive_matches_fold_accented_capitals() {
    let t = TestDb::new().await;
    let (repo, contatos, grupos) = (t.clientes(), t.contatos(), t.grupos());
    let mut d = cliente("PADARIA CORAÇÃO LTDA", "11222333000181");
    d.cidade = Some("SÃO PAULO".into());
    let padaria = repo.insert(&d, None).await.unwrap();
    let mut d = cliente("Oficina Roda Viva", "11444777000161");
    d.cidade = Some("Santos".into());
    repo.insert(&d, None).await.unwrap();
    let asc = [OrderBy::asc("razao_social")];
    let by = |col: &'static str, needle: &str| ClienteFilter {
        icontains: vec![(col, needle.to_string())],
        ..Default::default()
    };
    assert_eq!(
        razoes(&repo, &by("cidade", "são paulo"), &asc).await,
        ["PADARIA CORAÇÃO LTDA"]
    );
    assert_eq!(
        razoes(&repo, &by("razao_social", "coração"), &asc).await,
        ["PADARIA CORAÇÃO LTDA"]
    );
    // Still a substring match of the text as typed: no accent folding, wildcards are literal.
    assert!(razoes(&repo, &by("cidade", "sao"), &asc).await.is_empty());
    assert!(razoes(&repo, &by("cidade", "s_o"), &asc).await.is_empty());
    assert!(razoes(&repo, &by("cidade", "s.o"), &asc).await.is_empty());

    contatos
        .insert(&contato(padaria.id, "JOÃO DA SILVA", "+5511999990001"))
        .await
        .unwrap();
    contatos
        .insert(&contato(padaria.id, "Maria", "+5511999990002"))
        .await
        .unwrap();
    let by_nome = [OrderBy::asc("nome")];
    for f in [
        ContatoFilter {
            search: vec!["joão".into()],
            ..Default::default()
        },
        ContatoFilter {
            icontains: vec![("nome", "joão da".into())],
            ..Default::default()
        },
    ] {
        let found = contatos.list(&f, &by_nome, page(1, 20)).await.unwrap();
        let nomes: Vec<String> = found
            .unwrap()
            .items
            .into_iter()
            .map(|c| c.data.nome)
            .collect();
        assert_eq!(nomes, ["JOÃO DA SILVA"]);
    }

    grupos
        .insert(&GrupoData {
            nome: "CONSTRUÇÃO PESADA".into(),
            descricao: None,
            ativo: true,
        })
        .await
        .unwrap();
    let found = grupos
        .list(&["construção".to_string()], &[], page(1, 20))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].nome, "CONSTRUÇÃO PESADA");
    t.finish().await;
}

/// `dx-connect backup`: a consistent, self-contained copy of a SQLite database, taken while a
/// connection pool is open; never over an existing file; refused on PostgreSQL.
#[tokio::test]
async fn backup_copies_a_sqlite_database() {
    let dir = std::env::temp_dir().join(format!("dx-backup-{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = connect(&format!(
        "sqlite://{}?mode=rwc",
        dir.join("live.db").display()
    ))
    .await
    .unwrap();
    migrate(&db).await.unwrap();
    let t = TestDb::wrap(db);
    t.clientes()
        .insert(&cliente("Padaria Pão Quente", "11222333000181"), None)
        .await
        .unwrap();
    let dest = dir.join("copy.db");
    let bytes = backup(&t.db, &dest).await.unwrap();
    assert!(bytes > 0);
    assert!(
        backup(&t.db, &dest).await.is_err(),
        "never over an existing file"
    );

    let copy = connect(&format!("sqlite://{}", dest.display()))
        .await
        .unwrap();
    let one = |sql: &'static str| {
        let copy = copy.clone();
        async move {
            copy.query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                sql,
            ))
            .await
            .unwrap()
            .unwrap()
        }
    };
    let ok: String = one("PRAGMA integrity_check")
        .await
        .try_get_by_index(0)
        .unwrap();
    assert_eq!(ok, "ok");
    let razao: String = one("SELECT razao_social FROM clientes")
        .await
        .try_get_by_index(0)
        .unwrap();
    assert_eq!(razao, "Padaria Pão Quente");
    drop(copy);
    drop(t);
    let _ = std::fs::remove_dir_all(&dir);

    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        let pg = TestDb::new().await;
        assert!(
            backup(&pg.db, &std::env::temp_dir().join("never.db"))
                .await
                .is_err()
        );
        pg.finish().await;
    }
}

/// After `flush_wal` (run at shutdown) the database file alone holds every committed write:
/// a copy of just that file, without its WAL, has them all.
#[tokio::test]
async fn flush_wal_leaves_everything_in_the_database_file() {
    let dir = std::env::temp_dir().join(format!("dx-flush-{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let live = dir.join("live.db");
    let db = connect(&format!("sqlite://{}?mode=rwc", live.display()))
        .await
        .unwrap();
    migrate(&db).await.unwrap();
    // Keep the pool's own automatic checkpoints out of the way: the writes stay in the WAL.
    db.execute_unprepared("PRAGMA wal_autocheckpoint = 0")
        .await
        .unwrap();
    let t = TestDb::wrap(db);
    for (i, cnpj) in ["11222333000181", "11444777000161"].into_iter().enumerate() {
        t.clientes()
            .insert(&cliente(&format!("Loja {i}"), cnpj), None)
            .await
            .unwrap();
    }
    assert!(flush_wal(&t.db).await.unwrap());
    let wal = std::fs::metadata(live.with_extension("db-wal")).map(|m| m.len());
    assert_eq!(wal.unwrap_or(0), 0, "the WAL is emptied");
    let copy = dir.join("copy.db");
    std::fs::copy(&live, &copy).unwrap();
    let c = connect(&format!("sqlite://{}", copy.display()))
        .await
        .unwrap();
    let n: i64 = c
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "SELECT count(*) FROM clientes",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    assert_eq!(n, 2);
    drop(c);
    drop(t);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two PATCHes computed from the same read of a row (as two concurrent requests are) each
/// change one field: with `since`, each writes only its own column and both survive, and
/// the derived search text covers both.
#[tokio::test]
async fn updates_since_a_read_write_only_their_changes() {
    let t = TestDb::new().await;
    let repo = t.clientes();
    let read = repo
        .insert(&cliente("Padaria Pao", "11222333000181"), None)
        .await
        .unwrap();
    let mut a = read.data.clone();
    a.razao_social = "Confeitaria Doce".into();
    let mut b = read.data.clone();
    b.email_principal = Some("vendas@doce.com".into());
    repo.update(read.id, &a, Some(read.data.clone()), None)
        .await
        .unwrap();
    let u = repo
        .update(read.id, &b, Some(read.data.clone()), None)
        .await
        .unwrap();
    assert_eq!(u.data.razao_social, "Confeitaria Doce");
    assert_eq!(u.data.email_principal.as_deref(), Some("vendas@doce.com"));
    let terms = |t: &[&str]| ClienteFilter {
        search: t.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    let asc = [OrderBy::asc("id")];
    assert_eq!(
        razoes(&repo, &terms(&["doce", "vendas@doce"]), &asc).await,
        ["Confeitaria Doce"]
    );
    assert!(razoes(&repo, &terms(&["pao"]), &asc).await.is_empty());

    let contatos = t.contatos();
    let c = contatos
        .insert(&contato(read.id, "Ana", "+5511999990001"))
        .await
        .unwrap();
    let mut a = c.data.clone();
    a.nome = "Ana Maria".into();
    let mut b = c.data.clone();
    b.cargo = Some("Gerente".into());
    contatos
        .update(c.id, &a, Some(c.data.clone()))
        .await
        .unwrap();
    let u = contatos
        .update(c.id, &b, Some(c.data.clone()))
        .await
        .unwrap();
    assert_eq!(
        (u.data.nome.as_str(), u.data.cargo.as_deref()),
        ("Ana Maria", Some("Gerente"))
    );

    let grupos = t.grupos();
    let g0 = GrupoData {
        nome: "Alfa".into(),
        descricao: None,
        ativo: true,
    };
    let g = grupos.insert(&g0).await.unwrap();
    let a = GrupoData {
        nome: "Beta".into(),
        ..g0.clone()
    };
    let b = GrupoData {
        descricao: Some("d".into()),
        ..g0.clone()
    };
    grupos.update(g.id, &a, Some(g0.clone())).await.unwrap();
    let u = grupos.update(g.id, &b, Some(g0.clone())).await.unwrap();
    assert_eq!(
        (u.nome.as_str(), u.descricao.as_deref()),
        ("Beta", Some("d"))
    );
    t.finish().await;
}

/// Only a taken CNPJ is a CNPJ conflict: another unique constraint violated by an insert
/// (through the SQLite group-commit writer too) surfaces as itself.
#[tokio::test]
async fn other_constraint_violations_are_not_cnpj_conflicts() {
    let t = TestDb::new().await;
    t.db.execute_unprepared(
        "CREATE UNIQUE INDEX ux_test_clientes_razao_social ON clientes (razao_social)",
    )
    .await
    .unwrap();
    let repo = t.clientes();
    repo.insert(&cliente("Mesma Razao", "11222333000181"), None)
        .await
        .unwrap();
    for r in [
        repo.insert(&cliente("Mesma Razao", "11444777000161"), None)
            .await,
        repo.insert_with_placeholder(&cliente("Mesma Razao", ""), None)
            .await,
    ] {
        match r {
            Err(DomainError::Conflict(msg)) => {
                assert!(msg.contains("razao_social"), "{msg}");
                assert!(!msg.contains("cnpj"), "{msg}");
            }
            other => panic!("{other:?}"),
        }
    }
    match repo
        .insert(&cliente("Outra Razao", "11222333000181"), None)
        .await
    {
        Err(DomainError::Conflict(msg)) => assert!(msg.contains("cnpj"), "{msg}"),
        other => panic!("{other:?}"),
    }
    t.finish().await;
}

/// SQLite: inserts that go around the group-commit writer (`cadastrar`'s transaction, which
/// creates the cliente with the contato) and updates also do the bounded merge step, so the
/// trigram index stays at a handful of segments.
#[tokio::test]
async fn writes_around_the_writer_keep_the_search_index_merged() {
    let path =
        std::env::temp_dir().join(format!("dx-seaorm-fts2-{:016x}.db", rand::random::<u64>()));
    let db = connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .unwrap();
    migrate(&db).await.unwrap();
    let t = TestDb::wrap(db);
    let (repo, contatos) = (t.clientes(), t.contatos());
    let segments = || async {
        let n: i64 =
            t.db.query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                "SELECT count(DISTINCT segid) FROM clientes_fts_idx",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index(0)
            .unwrap();
        n
    };
    let mut ids = Vec::new();
    for i in 0..300 {
        let c = cadastrar(
            &t.db,
            Some(cliente(
                &format!("Loja {i:03} Cadastrada"),
                &format!("00.000.000/{:04}-00", i + 1),
            )),
            &contato(0, "Ana", "+5511999990001"),
        )
        .await
        .unwrap();
        ids.push(c.data.cliente);
    }
    let n = segments().await;
    assert!(n <= 12, "{n} segments after cadastrar");
    for (i, id) in ids.iter().enumerate().take(200) {
        let mut d = repo.get(*id, None).await.unwrap().unwrap().data;
        d.razao_social = format!("Loja {i:03} Renomeada");
        repo.update(*id, &d, None, None).await.unwrap();
    }
    let n = segments().await;
    assert!(n <= 12, "{n} segments after updates");
    let search = ClienteFilter {
        search: vec!["renomeada".into()],
        ..Default::default()
    };
    assert_eq!(
        razoes(&repo, &search, &[OrderBy::asc("razao_social")])
            .await
            .len(),
        100,
        "the first page of 200"
    );
    drop((repo, contatos));
    drop(t);
    remove_sqlite(&path);
}

#[tokio::test]
async fn sqlite_plans_do_not_depend_on_bound_values() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    // Without QPSG, SQLite ≥ 3.47 recompiles every cached statement with a bound `LIMIT ?`
    // each time it runs (see .cargo/config.toml).
    let t = TestDb::sqlite_file().await;
    let rows =
        t.db.query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA compile_options",
        ))
        .await
        .unwrap();
    let options: Vec<String> = rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    assert!(options.iter().any(|o| o == "ENABLE_QPSG"), "{options:?}");
    t.finish().await;
}

// ---------------------------------------------------------------- accent-insensitive search, trigram indexes

#[tokio::test]
async fn search_ignores_accents_and_folds_the_rows_stored_before() {
    let t = migrated_before("m20261203_000012_search_indexes").await;
    let repo = t.clientes();
    // Written before the migration: its search_text still holds the accents.
    repo.insert(&cliente("Padaria São João", "11222333000181"), None)
        .await
        .unwrap();
    migrate(&t.db).await.unwrap();
    repo.insert(&cliente("AÇOUGUE CORAÇÃO", "11444777000161"), None)
        .await
        .unwrap();
    repo.insert(&cliente("Sao Jose Ferragens", "00.000.000/0041-00"), None)
        .await
        .unwrap();
    let asc = [OrderBy::asc("razao_social")];
    let search = |terms: &[&str]| ClienteFilter {
        search: terms.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    for (terms, expected) in [
        (&["joao"][..], &["Padaria São João"][..]),
        (&["JOÃO"], &["Padaria São João"]),
        (&["são"], &["Padaria São João", "Sao Jose Ferragens"]),
        (&["sao", "jose"], &["Sao Jose Ferragens"]),
        (&["acougue", "coracao"], &["AÇOUGUE CORAÇÃO"]),
        // Short terms (under the trigram index) fold too.
        (&["çã"], &["AÇOUGUE CORAÇÃO"]),
    ] {
        assert_eq!(
            razoes(&repo, &search(terms), &asc).await,
            expected,
            "{}: {terms:?}",
            t.name()
        );
    }
    t.finish().await;
}

/// PostgreSQL answers every `search`/`icontains` shape of the lists from a trigram index,
/// never by reading the whole table (scans priced out, so only a usable index avoids one).
#[tokio::test]
async fn postgres_search_paths_use_trigram_indexes() {
    use sea_orm::{DbBackend, Statement, TransactionTrait};
    let t = TestDb::new().await;
    if t.db.get_database_backend() != DbBackend::Postgres {
        return t.finish().await;
    }
    let cases = [
        (
            "clientes",
            "search_text LIKE '%acme%'",
            "ix_clientes_search_trgm",
        ),
        (
            "clientes",
            "lower(nome_fantasia) LIKE '%acme%' OR lower(responsavel_legal_nome) LIKE '%acme%'",
            "ix_clientes_icontains_trgm",
        ),
        (
            "contatos",
            "lower(email) LIKE '%acme%'",
            "ix_contatos_icontains_trgm",
        ),
        (
            "documentos",
            "descricao_busca LIKE '%acme%'",
            "ix_documentos_busca_trgm",
        ),
        (
            "whatsapp_messages",
            "lower(text_content) LIKE '%boleto%' OR lower(contact_name) LIKE '%boleto%'",
            "ix_whatsapp_messages_trgm",
        ),
        (
            "atendimentos",
            "lower(observacoes) LIKE '%acme%'",
            "ix_atendimentos_search_trgm",
        ),
        (
            "grupos_empresa",
            "lower(nome) LIKE '%acme%'",
            "ix_grupos_empresa_trgm",
        ),
    ];
    for (table, cond, index) in cases {
        let txn = t.db.begin().await.unwrap();
        txn.execute_unprepared("SET LOCAL enable_seqscan = off")
            .await
            .unwrap();
        let rows = txn
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("EXPLAIN SELECT id FROM {table} WHERE {cond}"),
            ))
            .await
            .unwrap();
        txn.rollback().await.unwrap();
        let plan: Vec<String> = rows
            .iter()
            .map(|r| r.try_get::<String>("", "QUERY PLAN").unwrap_or_default())
            .collect();
        let plan = plan.join("\n");
        assert!(plan.contains(index), "{table} {cond}: {plan}");
        assert!(!plan.contains("Seq Scan"), "{table} {cond}: {plan}");
    }
    t.finish().await;
}

// ---------------------------------------------------------------- issue 12: one-statement pages, exact counts

/// `SELECT COUNT(*) FROM clientes`, counted by the database itself.
async fn counted(db: &sea_orm::DatabaseConnection) -> u64 {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM clientes",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap() as u64
}

/// The narrow list page (one statement on both databases; the unfiltered count from the
/// trigger-kept counter on PostgreSQL) answers exactly what the full list's count and page
/// queries answer, for filters, search, scope and every ordering, on every page including
/// the last and one past the end.
#[tokio::test]
async fn resumo_pages_match_the_counted_pages_for_filters_and_orderings() {
    for t in TestDb::all().await {
        let repo = t.clientes();
        let a = t.agents().insert(agent("dono")).await.unwrap();
        let g = t
            .grupos()
            .insert(&GrupoData {
                nome: "Grupo Y".into(),
                descricao: None,
                ativo: true,
            })
            .await
            .unwrap();
        assert_eq!(repo.seed(130).await.unwrap(), 130);
        for i in 0..17u32 {
            let mut d = cliente(&format!("Silva Própria {i}"), "");
            d.status = if i % 3 == 0 { "inativo" } else { "ativo" }.into();
            d.grupo_empresa = (i % 2 == 0).then_some(g.id);
            repo.insert_with_placeholder(&d, Some(a.id)).await.unwrap();
        }
        let filters = [
            ClienteFilter::default(),
            ClienteFilter {
                owner: Some(a.id),
                ..Default::default()
            },
            ClienteFilter {
                status: Some("ativo".into()),
                ..Default::default()
            },
            ClienteFilter {
                search: vec!["silva".into()],
                ..Default::default()
            },
            ClienteFilter {
                search: vec!["si".into(), "prop".into()],
                owner: Some(a.id),
                ..Default::default()
            },
            ClienteFilter {
                search: vec!["nada disso".into()],
                ..Default::default()
            },
        ];
        let orders = [
            vec![OrderBy::desc("criado_em")],
            vec![OrderBy::asc("criado_em")],
            vec![OrderBy::asc("razao_social")],
            vec![OrderBy::desc("status"), OrderBy::asc("razao_social")],
            vec![OrderBy::desc("atualizado_em")],
            vec![],
        ];
        for f in &filters {
            for order in &orders {
                let reference = repo.list(f, order, page(1, 1000)).await.unwrap().unwrap();
                let size = 7;
                let pages = reference.count.div_ceil(size).max(1);
                for n in 1..=pages + 1 {
                    let full = repo.list(f, order, page(n, size)).await.unwrap();
                    let r = repo.list_resumo(f, order, page(n, size)).await.unwrap();
                    let ctx = format!("{}: {f:?} {order:?} page {n}", t.name());
                    if n > pages {
                        assert!(full.is_none() && r.is_none(), "{ctx}");
                        continue;
                    }
                    let (full, r) = (full.unwrap(), r.unwrap());
                    assert_eq!(
                        (r.count, r.page, r.page_size),
                        (reference.count, n, size),
                        "{ctx}"
                    );
                    assert_eq!(full.count, reference.count, "{ctx}");
                    let expected: Vec<ClienteResumo> = reference
                        .items
                        .iter()
                        .skip(((n - 1) * size) as usize)
                        .take(size as usize)
                        .cloned()
                        .map(ClienteResumo::from)
                        .collect();
                    assert_eq!(r.items, expected, "{ctx}");
                    assert_eq!(
                        full.items
                            .into_iter()
                            .map(ClienteResumo::from)
                            .collect::<Vec<_>>(),
                        expected,
                        "{ctx}"
                    );
                }
                let last = PageRequest {
                    page: None,
                    page_size: 7,
                };
                let r = repo.list_resumo(f, order, last).await.unwrap().unwrap();
                assert_eq!((r.count, r.page), (reference.count, pages), "{}", t.name());
            }
        }
        assert_eq!(
            repo.list_resumo(&ClienteFilter::default(), &[], page(1, 5))
                .await
                .unwrap()
                .unwrap()
                .count,
            counted(&t.db).await
        );
        t.finish().await;
    }
}

/// The unfiltered count stays exact while many connections insert, bulk-insert and delete
/// at once (PostgreSQL keeps it in `cliente_row_counts` by triggers; SQLite counts).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_unfiltered_count_stays_exact_under_concurrent_writes() {
    let path = std::env::temp_dir().join(format!("dx-seaorm-{:016x}.db", rand::random::<u64>()));
    let t = pooled_db(&path).await;
    let all = ClienteFilter::default();
    let mut tasks = Vec::new();
    for w in 0..8u32 {
        let repo = t.clientes();
        let all = all.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            for i in 0..25u32 {
                let c = repo
                    .insert_with_placeholder(&cliente(&format!("W{w} C{i}"), ""), None)
                    .await?;
                mine.push(c.id);
                // Every page read while others write sees a count no lower than its rows.
                let p = repo.list_resumo(&all, &[], page(1, 20)).await?.unwrap();
                assert!(p.count >= p.items.len() as u64);
            }
            for id in mine.iter().step_by(5) {
                repo.delete(*id).await?;
            }
            // Concurrent seeds may pick the same synthetic CNPJs: each reports what it stored.
            let seeded = if w % 2 == 0 { repo.seed(40).await? } else { 0 };
            Ok::<_, DomainError>(seeded)
        }));
    }
    let mut seeded = 0;
    for task in tasks {
        seeded += task.await.unwrap().unwrap();
    }
    let repo = t.clientes();
    let expected = 8 * 25 - 8 * 5 + seeded;
    assert!(seeded >= 40, "{seeded}");
    assert_eq!(counted(&t.db).await, expected);
    for f in [&all] {
        let r = repo
            .list_resumo(f, &[], page(1, 20))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.count, expected);
        let full = repo.list(f, &[], page(1, 20)).await.unwrap().unwrap();
        assert_eq!(full.count, expected);
    }
    // A rolled-back insert is not counted; TRUNCATE (PostgreSQL) empties the count.
    {
        use sea_orm::TransactionTrait;
        let txn = t.db.begin().await.unwrap();
        let backend = t.db.get_database_backend();
        txn.execute_unprepared(
            "INSERT INTO clientes (razao_social, cnpj, status, regime_tributario, \
             responsavel_legal_nome, responsavel_legal_cpf, search_text, criado_em, \
             atualizado_em) SELECT razao_social, cnpj || 'x', status, regime_tributario, \
             responsavel_legal_nome, responsavel_legal_cpf, search_text, criado_em, \
             atualizado_em FROM clientes",
        )
        .await
        .unwrap();
        txn.rollback().await.unwrap();
        assert_eq!(
            repo.list_resumo(&all, &[], page(1, 20))
                .await
                .unwrap()
                .unwrap()
                .count,
            expected
        );
        if backend == sea_orm::DbBackend::Postgres {
            t.db.execute_unprepared("TRUNCATE clientes CASCADE")
                .await
                .unwrap();
            assert_eq!(
                repo.list_resumo(&all, &[], page(1, 20))
                    .await
                    .unwrap()
                    .unwrap()
                    .count,
                0
            );
            repo.seed(3).await.unwrap();
            assert_eq!(
                repo.list_resumo(&all, &[], page(1, 20))
                    .await
                    .unwrap()
                    .unwrap()
                    .count,
                3
            );
        }
    }
    drop(repo);
    t.finish().await;
    remove_sqlite(&path);
}
