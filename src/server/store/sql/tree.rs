//! Each audit chain's Merkle tree (see [`crate::api::tlog`]): its head, the proofs read from
//! its stored hashes, and the building of the trees a database does not have yet.
//!
//! Every event row keeps the stored hashes its append wrote (`tree_hashes`: its record hash,
//! then one node per subtree it completed), so tlog's stored hash `i` is found with the leaf
//! [`stored_hash_place`] names. The head row keeps the tree's size and frontier, which the
//! chain's writers extend under the chain's lock (see `ChainHead`).

use std::cell::RefCell;
use std::collections::HashMap;

use sqlx::{AnyConnection, AnyPool, AssertSqlSafe, Connection, Row};
use tlog_tiles::{HashReader, prove_record, prove_tree};

use super::Store;
use crate::api::checkpoint::ChainId;
use crate::api::tlog::{Frontier, Hash, encode_hash, leaf_hash, stored_hash_place};
use crate::api::{ConsistencyProof, InclusionProof};
use crate::server::store::engine::Backend;
use crate::server::store::values::{StoreError, StoreResult};

/// A chain's tree as committed: its size (the head `seq` once built) and its root.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeHead {
    pub size: i64,
    pub root: Hash,
}

/// Which table a chain's events are in, and the org's pk for an org's.
#[derive(Debug, Clone, Copy)]
enum Chain {
    Org(i64),
    Vendor,
}

impl Chain {
    fn events(self) -> &'static str {
        match self {
            Chain::Org(_) => "audit_events",
            Chain::Vendor => "vendor_audit_events",
        }
    }

    /// The condition on `org_pk` (bound first), or none for the vendor chain.
    fn of_org(self) -> &'static str {
        match self {
            Chain::Org(_) => "org_pk = $1 AND ",
            Chain::Vendor => "",
        }
    }
}

fn database(what: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("audit tree: {what}"))
}

impl Store {
    /// The chain and its committed tree; `None` for an org that does not exist.
    async fn tree_of(&self, chain: &ChainId) -> StoreResult<Option<(Chain, Frontier)>> {
        let row = match chain {
            ChainId::Org(slug) => {
                sqlx::query("SELECT pk, audit_tree_size, audit_tree FROM orgs WHERE slug = $1")
                    .bind(slug.as_str())
                    .fetch_optional(&self.read)
                    .await?
            }
            ChainId::Vendor => Some(
                sqlx::query(
                    "SELECT 0, audit_tree_size, audit_tree FROM vendor_audit_head WHERE id = 1",
                )
                .fetch_one(&self.read)
                .await?,
            ),
        };
        let Some(row) = row else {
            return Ok(None);
        };
        let pk: i64 = row.try_get(0)?;
        let size: i64 = row.try_get(1)?;
        let bytes: Option<Vec<u8>> = row.try_get(2)?;
        let frontier = u64::try_from(size)
            .ok()
            .and_then(|size| Frontier::from_bytes(size, bytes.as_deref().unwrap_or_default()))
            .ok_or_else(|| database("the stored frontier does not match the tree's size"))?;
        let chain_ref = match chain {
            ChainId::Org(_) => Chain::Org(pk),
            ChainId::Vendor => Chain::Vendor,
        };
        Ok(Some((chain_ref, frontier)))
    }

    /// The chain's committed tree: what a checkpoint signs.
    pub async fn tree_head(&self, chain: &ChainId) -> StoreResult<Option<TreeHead>> {
        Ok(self.tree_of(chain).await?.map(|(_, frontier)| TreeHead {
            size: frontier.size() as i64,
            root: frontier.root(),
        }))
    }

    /// The proof that event `seq` is in the tree of `size` events. Not found for an org that
    /// does not exist, or a tree larger than the committed one; invalid for `seq` outside it.
    pub async fn inclusion_proof(
        &self,
        chain: &ChainId,
        seq: i64,
        size: i64,
    ) -> StoreResult<InclusionProof> {
        let (chain_ref, _) = self.tree_within(chain, size).await?;
        if seq < 1 || seq > size {
            return Err(StoreError::Invalid(format!(
                "seq must be between 1 and the tree's size {size}"
            )));
        }
        let (t, n) = (size as u64, seq as u64 - 1);
        let proof = self
            .with_stored(chain_ref, |reader| prove_record(t, n, &reader))
            .await?;
        let sql = format!(
            "SELECT hash FROM {} WHERE {}seq = ${}",
            chain_ref.events(),
            chain_ref.of_org(),
            if matches!(chain_ref, Chain::Org(_)) {
                2
            } else {
                1
            }
        );
        let mut query = sqlx::query_scalar(AssertSqlSafe(sql));
        if let Chain::Org(pk) = chain_ref {
            query = query.bind(pk);
        }
        let hash: String = query.bind(seq).fetch_one(&self.read).await?;
        Ok(InclusionProof {
            seq,
            size,
            hash,
            proof: proof.iter().map(encode_hash).collect(),
        })
    }

    /// The proof that the tree of `to` events extends the tree of `from` events.
    pub async fn consistency_proof(
        &self,
        chain: &ChainId,
        from: i64,
        to: i64,
    ) -> StoreResult<ConsistencyProof> {
        let (chain_ref, _) = self.tree_within(chain, to).await?;
        if from < 1 || from > to {
            return Err(StoreError::Invalid(format!(
                "from must be between 1 and to ({to})"
            )));
        }
        let proof = self
            .with_stored(chain_ref, |reader| {
                prove_tree(to as u64, from as u64, &reader)
            })
            .await?;
        Ok(ConsistencyProof {
            proof: proof.iter().map(encode_hash).collect(),
        })
    }

    /// The chain, when `size` is a tree it has committed (1 up to its size).
    async fn tree_within(&self, chain: &ChainId, size: i64) -> StoreResult<(Chain, Frontier)> {
        let (chain_ref, frontier) = self
            .tree_of(chain)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no {chain}")))?;
        if size < 1 {
            return Err(StoreError::Invalid("a tree's size is at least 1".into()));
        }
        if size as u64 > frontier.size() {
            return Err(StoreError::NotFound(format!(
                "the tree of {chain} has {} events, not {size}",
                frontier.size()
            )));
        }
        Ok((chain_ref, frontier))
    }

    /// Runs `prove` with the stored hashes it reads: once to learn which (tlog's provers read
    /// them in one call), then with them read from the events.
    async fn with_stored<T>(
        &self,
        chain: Chain,
        prove: impl Fn(&dyn ProverHashes) -> Result<T, tlog_tiles::Error>,
    ) -> StoreResult<T> {
        let none = HashMap::new();
        let indexes = {
            let wanted = Known::new(&none);
            if let Ok(done) = prove(&wanted) {
                return Ok(done);
            }
            wanted.missing.take()
        };
        let hashes = if indexes.is_empty() {
            none
        } else {
            self.read_stored(chain, &indexes).await?
        };
        prove(&Known::new(&hashes)).map_err(database)
    }

    /// The stored hashes at `indexes`, from the events that hold them.
    async fn read_stored(&self, chain: Chain, indexes: &[u64]) -> StoreResult<HashMap<u64, Hash>> {
        let places: Vec<(u64, (u64, usize))> =
            indexes.iter().map(|&i| (i, stored_hash_place(i))).collect();
        let mut seqs: Vec<i64> = places.iter().map(|(_, (seq, _))| *seq as i64).collect();
        seqs.sort_unstable();
        seqs.dedup();
        let first = if matches!(chain, Chain::Org(_)) { 2 } else { 1 };
        let sql = format!(
            "SELECT seq, tree_hashes FROM {} WHERE {}seq IN ({})",
            chain.events(),
            chain.of_org(),
            // Numbered on SQLite too, like the org's `$1` (a few dozen at most).
            (first..first + seqs.len())
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        if let Chain::Org(pk) = chain {
            query = query.bind(pk);
        }
        for seq in &seqs {
            query = query.bind(*seq);
        }
        let mut by_seq = HashMap::new();
        for row in query.fetch_all(&self.read).await? {
            let seq: i64 = row.try_get(0)?;
            let hashes: Option<Vec<u8>> = row.try_get(1)?;
            by_seq.insert(seq as u64, hashes.unwrap_or_default());
        }
        places
            .into_iter()
            .map(|(index, (seq, at))| {
                let hash = by_seq
                    .get(&seq)
                    .and_then(|bytes| bytes.get(at * 32..at * 32 + 32))
                    .ok_or_else(|| database(format!("event {seq} lacks stored hash {index}")))?;
                Ok((index, Hash(hash.try_into().expect("32 bytes"))))
            })
            .collect()
    }
}

/// The stored hashes read for the proofs of one report, kept so that proofs sharing their
/// upper nodes (all of a report's do) read each hash once.
#[derive(Default)]
pub struct StoredHashes(HashMap<u64, Hash>);

impl StoredHashes {
    /// Keeps what event `seq`'s `tree_hashes` column holds: the stored hashes its append
    /// wrote, level 0 (its record hash) upward, each the node `seq >> level` of its level.
    pub(super) fn keep_row(&mut self, seq: i64, stored: &[u8]) {
        let seq = seq as u64;
        for (level, hash) in stored.chunks_exact(32).enumerate() {
            let index = tlog_tiles::stored_hash_index(level as u8, (seq >> level) - 1);
            self.0
                .insert(index, Hash(hash.try_into().expect("32-byte chunks")));
        }
    }
}

impl Store {
    /// The inclusion proofs of the org's events `seqs` in its tree of `size` events (which
    /// the caller knows to be committed), reading only the stored hashes `cache` lacks.
    pub(super) async fn org_inclusion_proofs(
        &self,
        org_pk: i64,
        size: i64,
        seqs: &[i64],
        cache: &mut StoredHashes,
    ) -> StoreResult<Vec<Vec<Hash>>> {
        let t = size as u64;
        // First from the cache, which nearly always holds all (a report's rows bring their
        // stored hashes, and consecutive events share the rest), noting what it lacks.
        let (mut proofs, missing) = {
            let known = Known::new(&cache.0);
            let proofs = seqs
                .iter()
                .map(
                    |&seq| match prove_record(t, seq as u64 - 1, &(&known as &dyn ProverHashes)) {
                        Ok(proof) => Ok(Some(proof)),
                        Err(tlog_tiles::Error::IndexesNotInTree) => Ok(None),
                        Err(error) => Err(database(error)),
                    },
                )
                .collect::<StoreResult<Vec<_>>>()?;
            (proofs, known.missing.take())
        };
        let mut missing = missing;
        missing.sort_unstable();
        missing.dedup();
        for chunk in missing.chunks(super::ID_CHUNK) {
            cache
                .0
                .extend(self.read_stored(Chain::Org(org_pk), chunk).await?);
        }
        let known = Known::new(&cache.0);
        for (proof, &seq) in proofs.iter_mut().zip(seqs) {
            if proof.is_none() {
                *proof = Some(
                    prove_record(t, seq as u64 - 1, &(&known as &dyn ProverHashes))
                        .map_err(database)?,
                );
            }
        }
        Ok(proofs.into_iter().flatten().collect())
    }
}

/// A [`HashReader`] as a trait object (the provers take one by reference).
trait ProverHashes {
    fn read(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error>;
}

impl HashReader for &dyn ProverHashes {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        self.read(indexes)
    }
}

/// The hashes read for a prover: all it asks for when they are here; otherwise it notes those
/// missing (to be read) and fails.
struct Known<'a> {
    hashes: &'a HashMap<u64, Hash>,
    missing: RefCell<Vec<u64>>,
}

impl<'a> Known<'a> {
    fn new(hashes: &'a HashMap<u64, Hash>) -> Self {
        Known {
            hashes,
            missing: RefCell::default(),
        }
    }
}

impl ProverHashes for Known<'_> {
    fn read(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        let found: Option<Vec<Hash>> = indexes
            .iter()
            .map(|i| self.hashes.get(i).copied())
            .collect();
        found.ok_or_else(|| {
            self.missing.borrow_mut().extend(
                indexes
                    .iter()
                    .filter(|index| !self.hashes.contains_key(index)),
            );
            tlog_tiles::Error::IndexesNotInTree
        })
    }
}

/// Builds the tree of every chain whose tree is behind its head: each chain of a database
/// the migration `audit_trees` just upgraded, and any events written without their tree
/// hashes (by a replica of an older release still running after the upgrade). Each chain in
/// one transaction, under the chain's lock, from where its tree stands.
pub async fn build_behind(pool: &AnyPool, backend: Backend) -> StoreResult<()> {
    let orgs: Vec<i64> =
        sqlx::query_scalar("SELECT pk FROM orgs WHERE audit_tree_size <> audit_seq ORDER BY pk")
            .fetch_all(pool)
            .await?;
    let vendor: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM vendor_audit_head WHERE audit_tree_size <> audit_seq",
    )
    .fetch_one(pool)
    .await?;
    let chains = orgs
        .into_iter()
        .map(Chain::Org)
        .chain((vendor > 0).then_some(Chain::Vendor));
    for chain in chains {
        let mut connection = pool.acquire().await?;
        build_chain(&mut connection, backend, chain).await?;
    }
    Ok(())
}

async fn build_chain(
    connection: &mut AnyConnection,
    backend: Backend,
    chain: Chain,
) -> StoreResult<()> {
    let dialect = backend.sql();
    let mut tx = connection.begin_with(dialect.begin_write).await?;
    let lock = dialect.for_update;
    let head = match chain {
        Chain::Org(pk) => {
            sqlx::query(AssertSqlSafe(format!(
                "SELECT audit_seq, audit_tree_size, audit_tree FROM orgs WHERE pk = $1{lock}"
            )))
            .bind(pk)
            .fetch_one(&mut *tx)
            .await?
        }
        Chain::Vendor => {
            sqlx::query(AssertSqlSafe(format!(
                "SELECT audit_seq, audit_tree_size, audit_tree FROM vendor_audit_head \
                 WHERE id = 1{lock}"
            )))
            .fetch_one(&mut *tx)
            .await?
        }
    };
    let seq: i64 = head.try_get(0)?;
    let size: i64 = head.try_get(1)?;
    let bytes: Option<Vec<u8>> = head.try_get(2)?;
    if size == seq {
        // Another replica built it meanwhile.
        return Ok(());
    }
    // A frontier that does not fit its size is rebuilt from the first event.
    let mut frontier = u64::try_from(size)
        .ok()
        .filter(|&size| size as i64 <= seq)
        .and_then(|size| Frontier::from_bytes(size, bytes.as_deref().unwrap_or_default()))
        .unwrap_or_default();
    let (first, pk) = match chain {
        Chain::Org(pk) => (2, Some(pk)),
        Chain::Vendor => (1, None),
    };
    let batch = dialect.tree_batch;
    loop {
        let after = frontier.size() as i64;
        let sql = format!(
            "SELECT seq, hash FROM {} WHERE {}seq > ${first} ORDER BY seq LIMIT ${}",
            chain.events(),
            chain.of_org(),
            first + 1
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        if let Some(pk) = pk {
            query = query.bind(pk);
        }
        let rows = query
            .bind(after)
            .bind(batch as i64)
            .fetch_all(&mut *tx)
            .await?;
        let mut updates: Vec<(i64, Vec<u8>)> = Vec::with_capacity(rows.len());
        for row in &rows {
            let event_seq: i64 = row.try_get(0)?;
            let hash: String = row.try_get(1)?;
            if event_seq != frontier.size() as i64 + 1 {
                return Err(database(format!(
                    "the chain has no event {} (the next is {event_seq})",
                    frontier.size() + 1
                )));
            }
            let leaf = leaf_hash(&hash)
                .ok_or_else(|| database(format!("event {event_seq}'s hash is not hex")))?;
            let stored = frontier.append(leaf);
            updates.push((event_seq, stored.iter().flat_map(|h| h.0).collect()));
        }
        if !updates.is_empty() {
            let sql = (dialect.tree_hashes_update)(chain.events(), pk.is_some(), updates.len());
            let mut query = sqlx::query(AssertSqlSafe(sql));
            if dialect.tree_hashes_org_first
                && let Some(pk) = pk
            {
                query = query.bind(pk);
            }
            for (event_seq, stored) in updates {
                query = query.bind(event_seq).bind(stored);
            }
            if !dialect.tree_hashes_org_first
                && let Some(pk) = pk
            {
                query = query.bind(pk);
            }
            query.execute(&mut *tx).await?;
        }
        if rows.len() < batch || frontier.size() as i64 >= seq {
            break;
        }
    }
    if frontier.size() as i64 != seq {
        return Err(database(format!(
            "the chain's head is {seq} but its events end at {}",
            frontier.size()
        )));
    }
    let sql = match chain {
        Chain::Org(_) => "UPDATE orgs SET audit_tree_size = $1, audit_tree = $2 WHERE pk = $3",
        Chain::Vendor => {
            "UPDATE vendor_audit_head SET audit_tree_size = $1, audit_tree = $2 WHERE id = 1"
        }
    };
    let mut query = sqlx::query(sql)
        .bind(frontier.size() as i64)
        .bind(frontier.to_bytes());
    if let Some(pk) = pk {
        query = query.bind(pk);
    }
    query.execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}
