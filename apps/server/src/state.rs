//! Wiring: adapters → ports → domain services, shared by every handler.

use crate::config::Config;
use crate::list_cache::{
    CachedClienteRepository, CachedContatoRepository, CachedGrupoRepository, ListCache,
};
use adapter_cipher::AesGcmCipher;
use adapter_seaorm as db;
use adapter_security::{Argon2Hasher, JwtCodec};
use adapter_storage::{LocalFileStorage, MediaUrlSigner};
use authz::AuthService;
use authz::agents::AgentService;
use authz::auth::AuthConfig;
use authz::groups::GroupService;
use clientes::chat::ChatIntakeService;
use clientes::ports::{ClienteRepository, ContatoRepository, GrupoEmpresaRepository};
use clientes::service::{ClienteService, ContatoService};
use configuracoes::ConfigService;
use documentos::{DocumentoService, GeracaoService};
use kernel::cep::CepLookup;
use kernel::{Clock, DomainError, SystemClock};
use sea_orm::DatabaseConnection;
use std::sync::Arc;

pub struct AppState {
    pub db: DatabaseConnection,
    pub auth: AuthService,
    pub agents: AgentService,
    pub groups: GroupService,
    pub clientes: ClienteService,
    pub contatos: ContatoService,
    pub chat: ChatIntakeService,
    pub cep: Arc<dyn CepLookup>,
    pub config: ConfigService,
    pub storage: Arc<LocalFileStorage>,
    pub signer: MediaUrlSigner,
    pub documentos: DocumentoService,
    pub geracao: GeracaoService,
}

pub const SECRET_KEY_SETTING: &str = "jwt_signing_key";

impl AppState {
    /// Connects, migrates and builds every service.
    pub async fn build(config: &Config) -> Result<Arc<Self>, DomainError> {
        let conn = db::connect(&config.database_url)
            .await
            .map_err(DomainError::internal)?;
        db::migrate(&conn).await.map_err(DomainError::internal)?;
        let settings = db::SeaOrmSettings::new(conn.clone());
        let secret = match &config.secret_key {
            Some(k) => k.clone(),
            None => {
                settings
                    .set_if_absent(SECRET_KEY_SETTING, &adapter_security::random_secret())
                    .await?
            }
        };
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let agents_repo = Arc::new(db::SeaOrmAgentRepository::new(conn.clone()));
        let groups_repo = Arc::new(db::SeaOrmGroupRepository::new(conn.clone()));
        // One handle, and with it one group-commit writer, for every repository's inserts.
        let database = db::Database::new(conn.clone());
        let raw_clientes: Arc<dyn ClienteRepository> =
            Arc::new(db::SeaOrmClienteRepository::new(&database));
        let raw_grupos: Arc<dyn GrupoEmpresaRepository> =
            Arc::new(db::SeaOrmGrupoEmpresaRepository::new(conn.clone()));
        let raw_contatos: Arc<dyn ContatoRepository> =
            Arc::new(db::SeaOrmContatoRepository::new(conn.clone()));
        let (clientes_repo, grupos_repo, contatos_repo) = if config.list_cache {
            let cache = Arc::new(ListCache::default());
            (
                Arc::new(CachedClienteRepository::new(raw_clientes, cache.clone()))
                    as Arc<dyn ClienteRepository>,
                Arc::new(CachedGrupoRepository::new(raw_grupos, cache.clone()))
                    as Arc<dyn GrupoEmpresaRepository>,
                Arc::new(CachedContatoRepository::new(raw_contatos, cache))
                    as Arc<dyn ContatoRepository>,
            )
        } else {
            (raw_clientes, raw_grupos, raw_contatos)
        };
        let hasher = Arc::new(Argon2Hasher);
        let storage = Arc::new(LocalFileStorage::new(config.media_root.clone()));
        storage.ensure_root().await?;
        let cipher = AesGcmCipher::from_env_or_file(
            config.config_crypto_key.as_deref(),
            &config.data_dir.join(adapter_cipher::KEY_FILE_NAME),
        )
        .map_err(DomainError::internal)?;
        let documentos_repo = Arc::new(db::SeaOrmDocumentoRepository::new(conn.clone()));
        let auth = AuthService::new(
            agents_repo.clone(),
            hasher.clone(),
            Arc::new(JwtCodec::new(secret.as_bytes())),
            clock.clone(),
            AuthConfig {
                access_ttl_secs: config.access_ttl_secs,
                refresh_ttl_secs: config.refresh_ttl_secs,
                ..Default::default()
            },
        );
        let config_service = ConfigService::new(
            Arc::new(db::SeaOrmConfigRepository::new(conn.clone())),
            Arc::new(cipher),
            clock.clone(),
        )
        .with_storage(storage.clone());
        let principals = auth.principal_cache();
        Ok(Arc::new(Self {
            signer: MediaUrlSigner::new(format!("media:{secret}")),
            documentos: DocumentoService::new(
                documentos_repo.clone(),
                storage.clone(),
                clock.clone(),
            ),
            geracao: GeracaoService::new(
                documentos_repo,
                storage.clone(),
                Arc::new(adapter_pdf::PrintPdfRenderer),
                clock.clone(),
            ),
            config: config_service,
            storage: storage.clone(),
            db: conn,
            auth,
            agents: AgentService::new(agents_repo.clone(), groups_repo.clone(), hasher)
                .with_principal_cache(principals.clone()),
            groups: GroupService::new(groups_repo, agents_repo)
                .with_principal_cache(principals.clone()),
            cep: adapter_viacep::build_from_env(config.cep_provider.as_deref(), clock.clone()),
            clientes: ClienteService::new(clientes_repo.clone(), grupos_repo.clone(), clock)
                .with_storage(storage.clone()),
            contatos: ContatoService::new(contatos_repo.clone(), clientes_repo.clone()),
            chat: ChatIntakeService::new(contatos_repo, clientes_repo, grupos_repo),
        }))
    }
}
