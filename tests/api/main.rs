//! Black-box HTTP tests of the DX Connect server (one binary; one server per test).

mod atendimento;
mod atendimento_flow;
mod atendimento_support;
mod atendimentos;
mod auth;
mod authz;
mod automacoes;
mod chats;
mod chats_actions;
mod chats_scope;
mod clientes;
mod common;
mod concurrency;
mod config;
mod contatos;
mod conventions;
mod docs;
mod documentos;
mod durability;
mod lifecycle;
mod lists;
mod media;
mod relatorios;
mod reliability;
mod websocket;
mod whatsapp;
