//! The test-database harness shared by this crate's integration tests: a fresh database per
//! test (SQLite in memory or in a file, or a fresh PostgreSQL schema when `TEST_DATABASE_URL`
//! is set), with the repositories over it.

#![allow(dead_code)] // each test binary uses its own part of it

use adapter_seaorm::*;
use authz::model::NewAgent;
use authz::ports::AgentRepository;
use clientes::ClienteData;
use clientes::ports::ClienteRepository;
use migration::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;
use std::path::PathBuf;

pub struct TestDb {
    pub db: DatabaseConnection,
    /// (server URL, schema) of a PostgreSQL test schema to drop at the end.
    pg: Option<(String, String)>,
    /// A SQLite file (plus its `-wal`/`-shm` companions) to remove at the end.
    file: Option<PathBuf>,
}

fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

impl TestDb {
    /// A fresh PostgreSQL schema when `TEST_DATABASE_URL` is set, else SQLite in memory.
    pub async fn new() -> Self {
        Self::migrated(None).await
    }

    /// [`Self::new`] with the first `steps` migrations applied (all when `None`).
    pub async fn migrated(steps: Option<u32>) -> Self {
        match postgres_url() {
            Some(url) => Self::postgres(&url, steps).await,
            None => {
                let db = connect("sqlite::memory:").await.expect("connect sqlite");
                Migrator::up(&db, steps).await.expect("migrate");
                Self::wrap(db)
            }
        }
    }

    /// A database the test opened itself (and cleans up itself).
    pub fn wrap(db: DatabaseConnection) -> Self {
        TestDb {
            db,
            pg: None,
            file: None,
        }
    }

    /// A fresh, migrated SQLite file (a file, not `:memory:`, so that the pool has several
    /// connections and concurrent writers really compete).
    pub async fn sqlite_file() -> Self {
        let path =
            std::env::temp_dir().join(format!("dx-seaorm-{:016x}.db", rand::random::<u64>()));
        let db = connect(&format!("sqlite://{}?mode=rwc", path.display()))
            .await
            .expect("connect sqlite");
        migrate(&db).await.expect("migrate sqlite");
        TestDb {
            db,
            pg: None,
            file: Some(path),
        }
    }

    /// A fresh schema on the PostgreSQL server at `url`, with `steps` migrations.
    pub async fn postgres(url: &str, steps: Option<u32>) -> Self {
        let schema = format!("t_{:016x}", rand::random::<u64>());
        let admin = connect(url).await.expect("connect admin");
        admin
            .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
            .await
            .expect("create schema");
        admin.close().await.expect("close admin");
        let sep = if url.contains('?') { '&' } else { '?' };
        let db = connect(&format!("{url}{sep}options=-c%20search_path%3D{schema}"))
            .await
            .expect("connect schema");
        Migrator::up(&db, steps).await.expect("migrate postgres");
        TestDb {
            db,
            pg: Some((url.to_string(), schema)),
            file: None,
        }
    }

    /// A SQLite file always; a PostgreSQL schema too when `TEST_DATABASE_URL` is set.
    pub async fn all() -> Vec<TestDb> {
        let mut out = vec![Self::sqlite_file().await];
        if let Some(url) = postgres_url() {
            out.push(Self::postgres(&url, None).await);
        }
        out
    }

    pub fn name(&self) -> &'static str {
        if self.pg.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    pub async fn finish(self) {
        self.db.close().await.expect("close");
        if let Some(path) = self.file {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
        if let Some((url, schema)) = self.pg {
            let admin = connect(&url).await.expect("connect admin");
            admin
                .execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE"))
                .await
                .expect("drop schema");
            admin.close().await.expect("close admin");
        }
    }

    pub fn agents(&self) -> SeaOrmAgentRepository {
        SeaOrmAgentRepository::new(self.db.clone())
    }
    pub fn groups(&self) -> SeaOrmGroupRepository {
        SeaOrmGroupRepository::new(self.db.clone())
    }
    pub fn clientes(&self) -> SeaOrmClienteRepository {
        SeaOrmClienteRepository::new(self.db.clone())
    }
    pub fn grupos(&self) -> SeaOrmGrupoEmpresaRepository {
        SeaOrmGrupoEmpresaRepository::new(self.db.clone())
    }
    pub fn contatos(&self) -> SeaOrmContatoRepository {
        SeaOrmContatoRepository::new(self.db.clone())
    }
    pub fn docs(&self) -> SeaOrmDocumentoRepository {
        SeaOrmDocumentoRepository::new(self.db.clone())
    }
    pub fn config(&self) -> SeaOrmConfigRepository {
        SeaOrmConfigRepository::new(self.db.clone())
    }

    /// Inserts an active, non-superuser agent; returns its id.
    pub async fn agent(&self, username: &str) -> i64 {
        self.agents()
            .insert(NewAgent {
                username: username.into(),
                email: format!("{username}@x.com"),
                display_name: username.to_uppercase(),
                phone_number: "".into(),
                is_active: true,
                is_superuser: false,
                password_hash: "hash".into(),
                groups: vec![],
            })
            .await
            .expect("insert agent")
            .id
    }

    /// Inserts a cliente with defaults; returns its id.
    pub async fn cliente(&self, razao: &str, cnpj: &str, criado_por: Option<i64>) -> i64 {
        let mut d = ClienteData::defaults(cnpj.into());
        d.razao_social = razao.into();
        self.clientes()
            .insert(&d, criado_por)
            .await
            .expect("insert cliente")
            .id
    }
}
