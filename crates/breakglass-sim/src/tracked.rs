//! Collections of the tenant that remember what changed since the last save, so a change is
//! saved as a record of what it touched instead of the whole tenant (see [`crate::persist`]).
//!
//! They read like the collections they wrap (through `Deref`), and every way of changing
//! them is one of their own methods, which notes the change: there is no `DerefMut`, so a new
//! kind of change does not compile until it is tracked. Handlers call `persist` with a shared
//! reference to the tenant, so taking the changes goes through a `Mutex` (never contended: the
//! tenant itself is behind one).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::{Deref, Index, IndexMut};
use std::sync::Mutex;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

fn take<T: Default>(cell: &Mutex<T>) -> T {
    std::mem::take(&mut *cell.lock().unwrap_or_else(|p| p.into_inner()))
}

fn inner<T>(cell: &mut Mutex<T>) -> &mut T {
    cell.get_mut().unwrap_or_else(|p| p.into_inner())
}

/// A map by id whose inserted, changed and removed keys are noted.
#[derive(Debug)]
pub(crate) struct TrackedMap<V> {
    map: BTreeMap<String, V>,
    changed: Mutex<BTreeSet<String>>,
}

impl<V> TrackedMap<V> {
    pub fn insert(&mut self, key: String, value: V) -> Option<V> {
        inner(&mut self.changed).insert(key.clone());
        self.map.insert(key, value)
    }

    /// Notes the key even when the caller only reads through it; saving it again is harmless.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        let value = self.map.get_mut(key)?;
        inner(&mut self.changed).insert(key.to_string());
        Some(value)
    }

    pub fn remove(&mut self, key: &str) -> Option<V> {
        let removed = self.map.remove(key)?;
        inner(&mut self.changed).insert(key.to_string());
        Some(removed)
    }

    /// The keys changed since the last call, each with its value now (`None`: removed).
    pub fn take_changes(&self) -> Vec<(String, Option<&V>)> {
        take(&self.changed)
            .into_iter()
            .map(|key| {
                let value = self.map.get(&key);
                (key, value)
            })
            .collect()
    }

    pub fn forget_changes(&mut self) {
        inner(&mut self.changed).clear();
    }

    /// Replays one saved change; not itself noted.
    pub fn restore(&mut self, key: String, value: Option<V>) {
        match value {
            Some(value) => self.map.insert(key, value),
            None => self.map.remove(&key),
        };
    }
}

impl<V> Default for TrackedMap<V> {
    fn default() -> Self {
        TrackedMap {
            map: BTreeMap::new(),
            changed: Mutex::default(),
        }
    }
}

impl<V> Deref for TrackedMap<V> {
    type Target = BTreeMap<String, V>;
    fn deref(&self) -> &Self::Target {
        &self.map
    }
}

impl<V: Clone> Clone for TrackedMap<V> {
    fn clone(&self) -> Self {
        TrackedMap {
            map: self.map.clone(),
            changed: Mutex::new(
                self.changed
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone(),
            ),
        }
    }
}

impl<V> FromIterator<(String, V)> for TrackedMap<V> {
    fn from_iter<I: IntoIterator<Item = (String, V)>>(iter: I) -> Self {
        TrackedMap {
            map: iter.into_iter().collect(),
            changed: Mutex::default(),
        }
    }
}

impl<V: Serialize> Serialize for TrackedMap<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.map.serialize(serializer)
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for TrackedMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(BTreeMap::deserialize(deserializer)?.into_iter().collect())
    }
}

/// A list of Graph objects, each named by its `id`, whose changed ids are noted. Lists such as
/// the Conditional Access policies keep their order, which Graph's answers show.
#[derive(Debug, Default)]
pub(crate) struct TrackedList {
    items: Vec<Value>,
    changed: Mutex<BTreeSet<String>>,
}

fn id_of(item: &Value) -> String {
    item.get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

impl TrackedList {
    pub fn push(&mut self, item: Value) {
        inner(&mut self.changed).insert(id_of(&item));
        self.items.push(item);
    }

    pub fn remove(&mut self, at: usize) -> Value {
        let removed = self.items.remove(at);
        inner(&mut self.changed).insert(id_of(&removed));
        removed
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&Value) -> bool) {
        let changed = inner(&mut self.changed);
        self.items.retain(|item| {
            let kept = keep(item);
            if !kept {
                changed.insert(id_of(item));
            }
            kept
        });
    }

    /// The ids changed since the last call, each with its object now (`None`: removed).
    pub fn take_changes(&self) -> Vec<(String, Option<&Value>)> {
        take(&self.changed)
            .into_iter()
            .map(|id| {
                let item = self.items.iter().find(|item| id_of(item) == id);
                (id, item)
            })
            .collect()
    }

    pub fn forget_changes(&mut self) {
        inner(&mut self.changed).clear();
    }

    /// Replays one saved change: replaces the object in place, appends a new one, or removes.
    pub fn restore(&mut self, id: &str, value: Option<Value>) {
        let at = self.items.iter().position(|item| id_of(item) == id);
        match (at, value) {
            (Some(at), Some(value)) => self.items[at] = value,
            (None, Some(value)) => self.items.push(value),
            (Some(at), None) => {
                self.items.remove(at);
            }
            (None, None) => {}
        }
    }
}

impl Deref for TrackedList {
    type Target = Vec<Value>;
    fn deref(&self) -> &Self::Target {
        &self.items
    }
}

impl Index<usize> for TrackedList {
    type Output = Value;
    fn index(&self, at: usize) -> &Value {
        &self.items[at]
    }
}

impl IndexMut<usize> for TrackedList {
    fn index_mut(&mut self, at: usize) -> &mut Value {
        inner(&mut self.changed).insert(id_of(&self.items[at]));
        &mut self.items[at]
    }
}

/// No `Clone`: `list.clone()` in a handler is a copy of the items, through `Deref`, as it
/// was when these were plain vectors.
impl TrackedList {
    pub fn duplicate(&self) -> Self {
        TrackedList {
            items: self.items.clone(),
            changed: Mutex::new(
                self.changed
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone(),
            ),
        }
    }
}

impl FromIterator<Value> for TrackedList {
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> Self {
        iter.into_iter().collect::<Vec<_>>().into()
    }
}

impl From<Vec<Value>> for TrackedList {
    fn from(items: Vec<Value>) -> Self {
        TrackedList {
            items,
            changed: Mutex::default(),
        }
    }
}

impl Serialize for TrackedList {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.items.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for TrackedList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Vec::deserialize(deserializer)?.into())
    }
}

/// An append-only log (sign-ins, directory audits): what was added since the last save is
/// the tail past the length then.
#[derive(Debug)]
pub(crate) struct Journal<T> {
    items: Vec<T>,
    saved: Mutex<usize>,
}

impl<T> Journal<T> {
    pub fn push(&mut self, item: T) {
        self.items.push(item);
    }

    /// Where the unsaved tail starts, and the tail; it counts as saved from now on.
    pub fn take_changes(&self) -> (usize, &[T]) {
        let mut saved = self.saved.lock().unwrap_or_else(|p| p.into_inner());
        let from = (*saved).min(self.items.len());
        *saved = self.items.len();
        (from, &self.items[from..])
    }

    pub fn forget_changes(&mut self) {
        *inner(&mut self.saved) = self.items.len();
    }

    /// Replays entries saved from position `at`; those already here (a log replayed over a
    /// snapshot that has them) are skipped, so replaying twice adds nothing.
    pub fn restore(&mut self, at: usize, entries: Vec<T>) {
        let have = self.items.len().saturating_sub(at);
        self.items.extend(entries.into_iter().skip(have));
    }
}

impl<T> Default for Journal<T> {
    fn default() -> Self {
        Journal {
            items: Vec::new(),
            saved: Mutex::default(),
        }
    }
}

impl<T> Deref for Journal<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.items
    }
}

impl<T: Clone> Journal<T> {
    pub fn duplicate(&self) -> Self {
        Journal {
            items: self.items.clone(),
            saved: Mutex::new(*self.saved.lock().unwrap_or_else(|p| p.into_inner())),
        }
    }
}

impl<T: Serialize> Serialize for Journal<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.items.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Journal<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let items = Vec::deserialize(deserializer)?;
        let saved = Mutex::new(items.len());
        Ok(Journal { items, saved })
    }
}

/// A small value changed in place (the default app management policy, the policy
/// assignments): any mutable access counts as a change, and a change saves it whole.
#[derive(Debug, Default)]
pub(crate) struct Tracked<T> {
    value: T,
    changed: Mutex<bool>,
}

impl<T> Tracked<T> {
    pub fn new(value: T) -> Self {
        Tracked {
            value,
            changed: Mutex::new(false),
        }
    }

    /// The value if it changed since the last call.
    pub fn take_change(&self) -> Option<&T> {
        take(&self.changed).then_some(&self.value)
    }

    pub fn forget_changes(&mut self) {
        *inner(&mut self.changed) = false;
    }

    pub fn restore(&mut self, value: T) {
        self.value = value;
    }
}

impl<T> Deref for Tracked<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> std::ops::DerefMut for Tracked<T> {
    fn deref_mut(&mut self) -> &mut T {
        *inner(&mut self.changed) = true;
        &mut self.value
    }
}

impl<T: Clone> Tracked<T> {
    pub fn duplicate(&self) -> Self {
        Tracked {
            value: self.value.clone(),
            changed: Mutex::new(*self.changed.lock().unwrap_or_else(|p| p.into_inner())),
        }
    }
}

impl<T: Serialize> Serialize for Tracked<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Tracked<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Tracked::new(T::deserialize(deserializer)?))
    }
}
