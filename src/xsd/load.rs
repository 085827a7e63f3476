//! Gathering the schema documents of a contract: every `xs:include` and `xs:import` followed
//! (relative to the document naming it, never over the network), chameleon includes adopting
//! the includer's namespace, and — for OIO-style sets that import one namespace from many
//! files, or name a file that does not declare what they use — the folder searched for the
//! files of a namespace that declare a missing component. What stays missing is reported
//! precisely: the reference, where it is written, and which files of its namespace were read.

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};

use super::doc::{self, Node, XML_NS};
use super::source::{self, Source};
use super::{LoadError, XS};

/// The most schema documents one set may hold.
const MAX_DOCUMENTS: usize = 5_000;

/// One schema document of the set.
#[derive(Debug, Clone)]
pub struct SchemaDoc {
    /// The file it was read from (for a schema embedded in a WSDL: the WSDL's path).
    pub file: String,
    /// Its effective target namespace (a chameleon include takes the includer's).
    pub tns: String,
    /// The `xs:schema` element.
    pub root: Node,
}

/// The kinds of global components, each its own symbol space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Element,
    Type,
    Group,
    AttributeGroup,
    Attribute,
}

impl Kind {
    fn of(local: &str) -> Option<Kind> {
        match local {
            "element" => Some(Kind::Element),
            "complexType" | "simpleType" => Some(Kind::Type),
            "group" => Some(Kind::Group),
            "attributeGroup" => Some(Kind::AttributeGroup),
            "attribute" => Some(Kind::Attribute),
            _ => None,
        }
    }

    /// The word used in messages.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Element => "element",
            Kind::Type => "type",
            Kind::Group => "group",
            Kind::AttributeGroup => "attribute group",
            Kind::Attribute => "attribute",
        }
    }
}

/// Collects schema documents.
pub struct Loader<'s> {
    source: &'s Source,
    /// The documents read, in order.
    pub docs: Vec<SchemaDoc>,
    seen: HashSet<(String, String)>,
    queue: VecDeque<Pending>,
    /// Problems that stop the load.
    pub errors: Vec<String>,
    /// Directives whose file could not be read: (where written, what, why). They only
    /// matter if something they would have declared stays missing.
    pub unread: Vec<String>,
    /// Notes that are not errors.
    pub notes: Vec<String>,
    /// Folder files by namespace, read once when a component is missing.
    folder: Option<BTreeMap<String, Vec<(String, Node)>>>,
}

struct Pending {
    path: String,
    /// For an include: the includer's namespace (a chameleon adopts it).
    include_into: Option<String>,
    /// For an import: the namespace it names.
    import_ns: Option<String>,
    origin: String,
}

impl<'s> Loader<'s> {
    /// A loader reading from `source`.
    pub fn new(source: &'s Source) -> Loader<'s> {
        Loader {
            source,
            docs: Vec::new(),
            seen: HashSet::new(),
            queue: VecDeque::new(),
            errors: Vec::new(),
            unread: Vec::new(),
            notes: Vec::new(),
            folder: None,
        }
    }

    /// Adds a schema file of the source (and, when [`Loader::run`] is called, all it names).
    pub fn add_file(&mut self, path: &str, origin: &str) {
        self.queue.push_back(Pending {
            path: path.to_owned(),
            include_into: None,
            import_ns: None,
            origin: origin.to_owned(),
        });
    }

    /// Adds a schema embedded in a WSDL's `types`, read from `file`.
    pub fn add_embedded(&mut self, file: &str, schema: Node) {
        let tns = schema.attr("targetNamespace").unwrap_or("").to_owned();
        self.push_doc(SchemaDoc {
            file: file.to_owned(),
            tns,
            root: schema,
        });
    }

    /// Follows every queued directive until none is left.
    pub fn run(&mut self) {
        while let Some(p) = self.queue.pop_front() {
            if self.docs.len() >= MAX_DOCUMENTS {
                self.errors.push(format!(
                    "more than {MAX_DOCUMENTS} schema documents: the set is refused"
                ));
                return;
            }
            self.read(p);
        }
    }

    fn read(&mut self, p: Pending) {
        let bytes = match self.source.read(&p.path) {
            Ok(b) => b,
            Err(e) => {
                self.unread.push(format!("{}: cannot read {}: {e}", p.origin, p.path));
                return;
            }
        };
        let root = match doc::parse(&bytes) {
            Ok(r) => r,
            Err(e) => {
                self.errors
                    .push(format!("{}: {e} (read because of {})", p.path, p.origin));
                return;
            }
        };
        if !root.is(XS, "schema") {
            self.errors.push(format!(
                "{}: is not an XML schema (its root is {{{}}}{}), read because of {}",
                p.path, root.ns, root.local, p.origin
            ));
            return;
        }
        let declared = root.attr("targetNamespace").unwrap_or("").to_owned();
        let tns = match (&p.include_into, &p.import_ns) {
            (Some(into), _) if declared.is_empty() => into.clone(),
            (Some(into), _) if &declared != into => {
                self.errors.push(format!(
                    "{}: included into namespace {into:?} but declares {declared:?} (include at {})",
                    p.path, p.origin
                ));
                return;
            }
            (None, Some(ns)) if ns != &declared => {
                self.errors.push(format!(
                    "{}: imported as namespace {ns:?} but declares {declared:?} (import at {})",
                    p.path, p.origin
                ));
                return;
            }
            _ => declared,
        };
        if !self.seen.insert((p.path.clone(), tns.clone())) {
            return;
        }
        self.push_doc(SchemaDoc {
            file: p.path,
            tns,
            root,
        });
    }

    fn push_doc(&mut self, doc: SchemaDoc) {
        for d in doc.root.children_in(XS) {
            let at = format!("{}:{}", doc.file, d.line);
            let location = d.attr("schemaLocation");
            match d.local.as_str() {
                "include" => match location {
                    Some(l) => self.enqueue(&doc.file, l, Some(doc.tns.clone()), None, &at, "xs:include"),
                    None => self.errors.push(format!("{at}: xs:include without schemaLocation")),
                },
                "import" => {
                    let ns = d.attr("namespace").unwrap_or("").to_owned();
                    if ns == XML_NS || ns == XS {
                        continue; // built in
                    }
                    if ns == doc.tns {
                        self.notes
                            .push(format!("{at}: imports its own namespace {ns:?}; read as an include"));
                    }
                    if let Some(l) = location {
                        self.enqueue(&doc.file, l, None, Some(ns), &at, "xs:import");
                    }
                }
                "redefine" => self.errors.push(format!(
                    "{at}: xs:redefine is not supported (sfstub's loader refuses it rather than guess)"
                )),
                "override" => self
                    .errors
                    .push(format!("{at}: xs:override (XML Schema 1.1) is not supported")),
                _ => {}
            }
        }
        self.docs.push(doc);
    }

    fn enqueue(&mut self, from: &str, location: &str, into: Option<String>, ns: Option<String>, at: &str, what: &str) {
        match source::resolve(self.source, from, location) {
            Ok(path) => self.queue.push_back(Pending {
                path,
                include_into: into,
                import_ns: ns,
                origin: at.to_owned(),
            }),
            Err(e) => self
                .unread
                .push(format!("{at}: {what} schemaLocation={location:?}: {e}")),
        }
    }

    /// Every global component declared so far.
    pub fn declared(&self) -> HashSet<(Kind, String, String)> {
        let mut out = HashSet::new();
        for d in &self.docs {
            for c in d.root.children_in(XS) {
                if let (Some(kind), Some(name)) = (Kind::of(&c.local), c.attr("name")) {
                    out.insert((kind, d.tns.clone(), name.to_owned()));
                }
            }
        }
        out
    }

    /// References to components nobody declared: (kind, namespace, local, where written).
    pub fn missing(&self) -> Vec<(Kind, String, String, String)> {
        let declared = self.declared();
        let mut out = Vec::new();
        let mut stack: Vec<(&Node, &SchemaDoc)> = self.docs.iter().map(|d| (&d.root, d)).collect();
        while let Some((n, d)) = stack.pop() {
            for (attr, kind) in references(n) {
                let Some(value) = n.attr(attr) else { continue };
                for token in value.split_whitespace() {
                    let Ok((ns, local)) = n.resolve_qname(token) else {
                        continue;
                    };
                    if ns == XS || ns == XML_NS {
                        continue;
                    }
                    if !declared.contains(&(kind, ns.clone(), local.clone())) {
                        out.push((kind, ns, local, format!("{}:{}", d.file, n.line)));
                    }
                }
            }
            stack.extend(n.children_in(XS).map(|c| (c, d)));
        }
        out.sort();
        out.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1 && a.2 == b.2);
        out
    }

    /// Reads the folder's other schema files that declare a missing component, until
    /// nothing more can be found. Returns whether anything was added.
    pub fn gather_missing(&mut self) -> bool {
        let mut added_any = false;
        for _ in 0..64 {
            let missing = self.missing();
            if missing.is_empty() {
                break;
            }
            self.folder_index();
            let folder: Option<&BTreeMap<String, Vec<(String, Node)>>> = self.folder.as_ref();
            let mut wanted: BTreeSet<(String, String)> = BTreeSet::new();
            for (kind, ns, local, _) in &missing {
                for (path, root) in folder.and_then(|f| f.get(ns)).into_iter().flatten() {
                    let declares = root
                        .children_in(XS)
                        .any(|c| Kind::of(&c.local) == Some(*kind) && c.attr("name") == Some(local.as_str()));
                    if declares && !self.seen.contains(&(path.clone(), ns.clone())) {
                        wanted.insert((path.clone(), ns.clone()));
                    }
                }
            }
            if wanted.is_empty() {
                break;
            }
            for (path, ns) in wanted {
                self.notes.push(format!(
                    "{path}: read from the folder for a component of namespace {ns:?} that nothing imports from it"
                ));
                self.queue.push_back(Pending {
                    path,
                    include_into: None,
                    import_ns: Some(ns),
                    origin: "the search of the folder for a missing component".to_owned(),
                });
            }
            self.run();
            added_any = true;
        }
        added_any
    }

    fn folder_index(&mut self) {
        if self.folder.is_none() {
            let mut index: BTreeMap<String, Vec<(String, Node)>> = BTreeMap::new();
            for path in self.source.list(&[".xsd"]) {
                let Ok(bytes) = self.source.read(&path) else { continue };
                let Ok(root) = doc::parse(&bytes) else { continue };
                if root.is(XS, "schema") {
                    let ns = root.attr("targetNamespace").unwrap_or("").to_owned();
                    index.entry(ns).or_default().push((path, root));
                }
            }
            self.folder = Some(index);
        }
    }

    /// The files read for namespace `ns`.
    pub fn files_of(&self, ns: &str) -> Vec<&str> {
        self.docs
            .iter()
            .filter(|d| d.tns == ns)
            .map(|d| d.file.as_str())
            .collect()
    }

    /// Turns the state into the error of a set that does not load.
    pub fn failure(&self, source: &Source) -> LoadError {
        let mut problems = self.errors.clone();
        let missing = self.missing();
        for (kind, ns, local, at) in &missing {
            let files = self.files_of(ns);
            let read = if files.is_empty() {
                "no file of that namespace was read".to_owned()
            } else {
                format!("the files read for it: {}", shorten(&files))
            };
            problems.push(format!(
                "{at}: the {} {{{ns}}}{local} is declared nowhere ({read}; the folder was searched too)",
                kind.word()
            ));
        }
        if !missing.is_empty() || !problems.is_empty() {
            problems.extend(self.unread.iter().cloned());
        }
        LoadError::new(source, problems)
    }
}

fn shorten(files: &[&str]) -> String {
    if files.len() <= 6 {
        files.join(", ")
    } else {
        format!("{}, … ({} files)", files[..6].join(", "), files.len())
    }
}

/// The QName-valued attributes of a schema element and the kind each refers to.
fn references(n: &Node) -> Vec<(&'static str, Kind)> {
    if n.ns != XS {
        return Vec::new();
    }
    match n.local.as_str() {
        "element" => vec![
            ("ref", Kind::Element),
            ("type", Kind::Type),
            ("substitutionGroup", Kind::Element),
        ],
        "attribute" => vec![("ref", Kind::Attribute), ("type", Kind::Type)],
        "group" => vec![("ref", Kind::Group)],
        "attributeGroup" => vec![("ref", Kind::AttributeGroup)],
        "extension" | "restriction" => vec![("base", Kind::Type)],
        "list" => vec![("itemType", Kind::Type)],
        "union" => vec![("memberTypes", Kind::Type)],
        _ => Vec::new(),
    }
}
