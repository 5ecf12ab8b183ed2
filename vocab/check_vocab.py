#!/usr/bin/env python3
"""Developer check of the Kommon vocabulary files in vocab/ (the real tests are in Rust).

Checks that every file parses; that the ontology's terms carry French and English labels and
comments; that the SKOS schemes are well formed (>= 150 skills, labels fr+en, broader/narrower
both ways, no cycles, depth <= 3); that every kommon:, pair:, schema: and as: IRI used exists;
that the JSON-LD context has the ActivityPods prefixes and does not conflict with the
ActivityStreams context; that the SHACL shapes use only the supported subset and carry bilingual
names and messages; that valid examples conform and invalid ones fail on the expected path with
the expected French message; that the JSON-LD samples expand to the same graph as their Turtle
twins and survive a compact/expand round trip; and that the Sparnatural configuration is coherent.

Exits non-zero on any failure.

Setup (outside the repository; pyoxigraph is optional and adds a parse with oxttl):
    python3 -m venv /tmp/vocabenv && /tmp/vocabenv/bin/pip install rdflib pyshacl pyld pyoxigraph
Run:
    /tmp/vocabenv/bin/python vocab/check_vocab.py
The bundled ActivityStreams and schema.org contexts are read from ../shared/contexts
(override with KOMMON_SHARED_CONTEXTS=/path/to/contexts).
"""

import json
import os
import re
import sys
from pathlib import Path

try:
    import pyshacl
    from pyld import jsonld
    from rdflib import BNode, Graph, Literal, Namespace, URIRef
    from rdflib.collection import Collection
    from rdflib.compare import to_isomorphic, graph_diff
    from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD
except ImportError as e:  # pragma: no cover
    sys.exit(f"missing dependency ({e}); see the docstring of {__file__} for the setup")

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE / "examples"
SHARED_CONTEXTS = Path(os.environ.get("KOMMON_SHARED_CONTEXTS", HERE.parent.parent / "shared" / "contexts"))

KOMMON = Namespace("https://w3id.org/kommon/ns#")
KSKILL = Namespace("https://w3id.org/kommon/skills/")
SKILLS_SCHEME = URIRef("https://w3id.org/kommon/skills")
PAIR = Namespace("http://virtual-assembly.org/ontologies/pair#")
SCHEMA = Namespace("http://schema.org/")
AS = Namespace("https://www.w3.org/ns/activitystreams#")
SH = Namespace("http://www.w3.org/ns/shacl#")
DC = Namespace("http://purl.org/dc/terms/")
DASH = Namespace("http://datashapes.org/dash#")
CORE = Namespace("http://data.sparna.fr/ontologies/sparnatural-config-core#")
DS = Namespace("http://data.sparna.fr/ontologies/sparnatural-config-datasources#")

AS_CONTEXT_URL = "https://www.w3.org/ns/activitystreams"
KOMMON_CONTEXT_URL = "https://w3id.org/kommon/context.jsonld"

# Prefixes ActivityPods clients read (notes/activitypods-compat.md §1.3) plus Kommon's own.
REQUIRED_PREFIXES = {
    "ldp": "http://www.w3.org/ns/ldp#",
    "dc": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "pim": "http://www.w3.org/ns/pim/space#",
    "solid": "http://www.w3.org/ns/solid/terms#",
    "interop": "http://www.w3.org/ns/solid/interop#",
    "notify": "http://www.w3.org/ns/solid/notifications#",
    "oidc": "http://www.w3.org/ns/solid/oidc#",
    "apods": "http://activitypods.org/ns/core#",
    "semapps": "http://semapps.org/ns/core#",
    "void": "http://rdfs.org/ns/void#",
    "acl": "http://www.w3.org/ns/auth/acl#",
    "sec": "https://w3id.org/security#",
    "schema": "http://schema.org/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "pair": "http://virtual-assembly.org/ontologies/pair#",
    "kommon": str(KOMMON),
    "kskill": str(KSKILL),
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
}

# PAIR terms (PAIR 2021-summer, as listed in notes/activitypods-compat.md §2.3 and SemApps' pair.json).
PAIR_TERMS = set("""
PairEntity Subject Concept Object PAIR Place PostalAddress Association Intention Agent Idea Resource
Actor Person Organization Group Ecosystem Activity Project Event Task PhysicalPlace Town DigitalPlace
HumanBasedResource Skill ConceptBasedResource Document AtomBasedResource BitBasedResource
MoneyBasedResource Theme Topic Status Type Role MembershipRole InvolvementRole ActivityField Branch
Domain Sector MembershipAssociation ActivityInvolvementAssociation Folder
label alternativeLabel preferedLabel comment description homePage aboutPage webPage identifier
e-mail phone firstName lastName startDate endDate dueDate latitude longitude address openingHours
addressStreet addressZipCode addressLocality addressCountry hasLocation locationOf hostedIn hosts
operates operatedBy involves involvedIn offers offeredBy needs neededBy hasSkill skillOf hasTopic
topicOf affiliates affiliatedBy partnerOf organizationOfMembership membershipOrganization
actorOfMembership membershipActor membershipRole hasPostalAddress documentedBy documents hasPart
partOf hasType hasStatus typeOf supports supportedBy follows hasFollower subactivityOf uses produces
consumes usedBy producedBy consumedBy image isDepictedBy depictedBy assignedTo
""".split())

# The SHACL subset Kommon's validator implements (plus sh:hasValue, allowed by the brief).
SHAPES_ALLOWED = {SH[x] for x in (
    "targetClass property path name message minCount maxCount datatype class nodeKind pattern flags "
    "in languageIn minInclusive maxInclusive minLength maxLength lessThan node hasValue").split()}
SHAPES_ALLOWED |= {RDF.type, RDFS.label, RDFS.comment, RDF.first, RDF.rest}

SPARNATURAL_WIDGETS = {CORE[x] for x in (
    "SearchProperty ListProperty AutocompleteProperty BooleanProperty MapProperty StringEqualsProperty "
    "TimeProperty-Date TimeProperty-Year TimeProperty-Period TreeProperty NumberProperty "
    "NonSelectableProperty").split()}

REQUIRED_SHAPE_TARGETS = {
    PAIR.Person, PAIR.PhysicalPlace, PAIR.Project, PAIR.Event, KOMMON.CallForVolunteers,
    KOMMON.ServiceRequest, KOMMON.VolunteerOffer, KOMMON.Residency,
}
REQUIRED_QB_TARGETS = {
    PAIR.PhysicalPlace, PAIR.Person, PAIR.Project, PAIR.Event, KOMMON.CallForVolunteers,
    PAIR.Skill, KOMMON.Commune,
}
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

failures = []
notes = []


def fail(msg):
    failures.append(msg)


def ok(cond, msg):
    if not cond:
        fail(msg)
    return cond


try:  # optional: the oxttl parser the Rust crates use, through its Python binding
    import pyoxigraph
except ImportError:
    pyoxigraph = None


def parse_ttl(path):
    g = Graph()
    try:
        g.parse(path, format="turtle")
    except Exception as e:  # noqa: BLE001
        fail(f"{path.relative_to(HERE)}: does not parse: {e}")
    if pyoxigraph is not None:
        try:
            n = sum(1 for _ in pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE))
            ok(n == len(g), f"{path.relative_to(HERE)}: oxigraph reads {n} triples, rdflib {len(g)}")
        except Exception as e:  # noqa: BLE001
            fail(f"{path.relative_to(HERE)}: oxigraph cannot parse it: {e}")
    return g


def langs(g, s, p):
    out = {}
    for o in g.objects(s, p):
        if isinstance(o, Literal):
            out.setdefault(o.language, []).append(str(o))
    return out


def one_per_lang(g, s, p, what, where, required=("fr", "en")):
    by_lang = langs(g, s, p)
    for lang in required:
        vals = by_lang.get(lang, [])
        if len(vals) != 1:
            fail(f"{where}: {curie(g, s) if isinstance(s, URIRef) else s} "
                 f"has {len(vals)} {what}@{lang} (want exactly 1)")


NAMES = Graph(bind_namespaces="none")
for _p, _ns in (("kommon", KOMMON), ("kskill", KSKILL), ("pair", PAIR), ("schema", SCHEMA), ("as", AS),
                ("skos", SKOS), ("sh", SH), ("rdfs", RDFS), ("rdf", RDF), ("owl", OWL), ("xsd", XSD),
                ("dc", DC), ("dash", DASH), ("core", CORE), ("ds", DS),
                ("qb", Namespace("https://w3id.org/kommon/query-builder#"))):
    NAMES.bind(_p, _ns, override=True, replace=True)


def curie(g, term):
    try:
        return NAMES.namespace_manager.normalizeUri(term)
    except Exception:  # noqa: BLE001
        return str(term)


def expand_curie(c):
    prefix, _, local = c.partition(":")
    ns = {"pair": PAIR, "schema": SCHEMA, "kommon": KOMMON, "as": AS, "skos": SKOS,
          "rdfs": RDFS, "kskill": KSKILL}.get(prefix)
    if ns is None:
        raise ValueError(f"unknown prefix in {c!r}")
    return ns[local]


# --------------------------------------------------------------------------------------------
# 1. Ontology
# --------------------------------------------------------------------------------------------

def check_ontology(onto):
    where = "kommon.ttl"
    header = URIRef("https://w3id.org/kommon/ns")
    ok((header, RDF.type, OWL.Ontology) in onto, f"{where}: no owl:Ontology header <{header}>")
    ok(onto.value(header, OWL.versionInfo) is not None, f"{where}: ontology has no owl:versionInfo")
    ok(onto.value(header, DC.license) is not None, f"{where}: ontology has no dc:license")
    one_per_lang(onto, header, DC.title, "dc:title", where)

    classes = {s for s in onto.subjects(RDF.type, OWL.Class) if str(s).startswith(str(KOMMON))}
    obj_props = {s for s in onto.subjects(RDF.type, OWL.ObjectProperty) if str(s).startswith(str(KOMMON))}
    dt_props = {s for s in onto.subjects(RDF.type, OWL.DatatypeProperty) if str(s).startswith(str(KOMMON))}
    for t in classes | obj_props | dt_props:
        one_per_lang(onto, t, RDFS.label, "rdfs:label", where)
        one_per_lang(onto, t, RDFS.comment, "rdfs:comment", where)
    ok(not (obj_props & dt_props), f"{where}: properties both object and datatype: {obj_props & dt_props}")

    schemes = set(onto.subjects(RDF.type, SKOS.ConceptScheme))
    concepts = set(onto.subjects(RDF.type, SKOS.Concept))
    for s in schemes:
        one_per_lang(onto, s, SKOS.prefLabel, "skos:prefLabel", where)
        one_per_lang(onto, s, SKOS.definition, "skos:definition", where)
    check_skos(onto, concepts, schemes, where, max_depth=2)
    concept_classes = {c for c in classes if (c, RDFS.subClassOf, SKOS.Concept) in onto}
    for c in concepts:
        if str(c).startswith(str(KOMMON.role)):
            ok((c, RDF.type, PAIR.MembershipRole) in onto, f"{where}: {curie(onto, c)} is not a pair:MembershipRole")
            continue
        typed = [k for k in onto.objects(c, RDF.type) if k in concept_classes]
        ok(len(typed) == 1, f"{where}: {curie(onto, c)} must be typed with exactly one Kommon concept class")
    # every Kommon concept class has a scheme whose concepts carry it
    for k in concept_classes:
        ok(any(True for _ in onto.subjects(RDF.type, k)), f"{where}: no concept is typed {curie(onto, k)}")

    defined = classes | obj_props | dt_props | schemes | concepts
    return dict(classes=classes, obj_props=obj_props, dt_props=dt_props, schemes=schemes,
                concepts=concepts, defined=defined)


def check_skos(g, concepts, schemes, where, max_depth):
    """Structural SKOS checks shared by kommon.ttl and skills.ttl; returns depth per concept."""
    for c in concepts:
        one_per_lang(g, c, SKOS.prefLabel, "skos:prefLabel", where)
        in_schemes = set(g.objects(c, SKOS.inScheme))
        ok(len(in_schemes) == 1 and in_schemes <= schemes, f"{where}: {curie(g, c)} must be in exactly one scheme of the file")
        pref = {(str(o).lower(), o.language) for o in g.objects(c, SKOS.prefLabel)}
        for alt in g.objects(c, SKOS.altLabel):
            ok((str(alt).lower(), alt.language) not in pref, f"{where}: {curie(g, c)} altLabel {alt!r} repeats its prefLabel")
        for p, inv in ((SKOS.broader, SKOS.narrower), (SKOS.narrower, SKOS.broader)):
            for o in g.objects(c, p):
                ok(o in concepts, f"{where}: {curie(g, c)} {curie(g, p)} unknown concept {o}")
                ok((o, inv, c) in g, f"{where}: {curie(g, c)} {curie(g, p)} {curie(g, o)} lacks the inverse {curie(g, inv)}")
        for o in g.objects(c, SKOS.related):
            ok(o in concepts, f"{where}: {curie(g, c)} skos:related unknown concept {o}")
            ok((o, SKOS.related, c) in g, f"{where}: skos:related {curie(g, c)} - {curie(g, o)} is not symmetric")
        tops = set(g.objects(c, SKOS.topConceptOf))
        broaders = set(g.objects(c, SKOS.broader))
        if tops:
            ok(not broaders, f"{where}: top concept {curie(g, c)} has a broader concept")
            for s in tops:
                ok((s, SKOS.hasTopConcept, c) in g, f"{where}: {curie(g, c)} topConceptOf without hasTopConcept")
        else:
            ok(len(broaders) == 1, f"{where}: {curie(g, c)} is neither a top concept nor has exactly one broader")
    for s in schemes:
        for c in g.objects(s, SKOS.hasTopConcept):
            ok((c, SKOS.topConceptOf, s) in g, f"{where}: hasTopConcept {curie(g, c)} without topConceptOf")
    # uniqueness of prefLabels inside a scheme and language
    seen = {}
    for c in concepts:
        scheme = g.value(c, SKOS.inScheme)
        for o in g.objects(c, SKOS.prefLabel):
            key = (scheme, o.language, str(o).lower())
            ok(key not in seen, f"{where}: prefLabel {o!r} used by {curie(g, c)} and {curie(g, seen.get(key, c))}")
            seen[key] = c
    # altLabels must not be another concept's prefLabel (it would make search ambiguous)
    for c in concepts:
        scheme = g.value(c, SKOS.inScheme)
        for alt in g.objects(c, SKOS.altLabel):
            other = seen.get((scheme, alt.language, str(alt).lower()))
            ok(other in (None, c), f"{where}: altLabel {alt!r} of {curie(g, c)} is the prefLabel of {curie(g, other) if other else ''}")
    # depth and cycles
    depth = {}
    for c in concepts:
        d, cur, path = 1, c, {c}
        while True:
            b = g.value(cur, SKOS.broader)
            if b is None:
                break
            if b in path:
                fail(f"{where}: broader cycle through {curie(g, c)}")
                break
            path.add(b)
            cur, d = b, d + 1
        depth[c] = d
        ok(d <= max_depth, f"{where}: {curie(g, c)} is at depth {d} (max {max_depth})")
    # skos:related must not link concepts of the same branch line
    for c in concepts:
        ancestors = set()
        cur = g.value(c, SKOS.broader)
        while cur is not None and cur not in ancestors:
            ancestors.add(cur)
            cur = g.value(cur, SKOS.broader)
        for r in g.objects(c, SKOS.related):
            ok(r not in ancestors, f"{where}: {curie(g, c)} skos:related to its ancestor {curie(g, r)}")
    return depth


# --------------------------------------------------------------------------------------------
# 2. Skills
# --------------------------------------------------------------------------------------------

def check_skills(skills):
    where = "skills.ttl"
    ok((SKILLS_SCHEME, RDF.type, SKOS.ConceptScheme) in skills, f"{where}: <{SKILLS_SCHEME}> is not a skos:ConceptScheme")
    one_per_lang(skills, SKILLS_SCHEME, SKOS.prefLabel, "skos:prefLabel", where)
    concepts = set(skills.subjects(RDF.type, SKOS.Concept))
    ok(len(concepts) >= 150, f"{where}: {len(concepts)} concepts (want at least 150)")
    for c in concepts:
        local = str(c)[len(str(KSKILL)):] if str(c).startswith(str(KSKILL)) else None
        ok(local is not None and SLUG.match(local), f"{where}: concept IRI {c} is not {KSKILL}{{ascii-slug}}")
        ok((c, RDF.type, PAIR.Skill) in skills, f"{where}: {curie(skills, c)} is not typed pair:Skill")
        for p in (SKOS.exactMatch, SKOS.closeMatch):
            for o in skills.objects(c, p):
                ok(str(o).startswith("http://data.europa.eu/esco/skill/"),
                   f"{where}: {curie(skills, c)} {curie(skills, p)} {o} is not an ESCO skill IRI")
    depth = check_skos(skills, concepts, {SKILLS_SCHEME}, where, max_depth=3)
    levels = sorted(set(depth.values()))
    ok(levels and levels[-1] >= 2, f"{where}: the hierarchy must have at least two levels")
    art = KSKILL["artisanat"]
    ok((art, SKOS.topConceptOf, SKILLS_SCHEME) in skills, f"{where}: kskill:artisanat must be a top concept")
    ok(len(set(skills.objects(art, SKOS.narrower))) >= 3, f"{where}: kskill:artisanat needs narrower concepts")
    men = KSKILL["menuiserie"]
    alts = {(str(a), a.language) for a in skills.objects(men, SKOS.altLabel)}
    ok(("travail du bois", "fr") in alts, f'{where}: kskill:menuiserie needs altLabel "travail du bois"@fr')
    ok(("bois", "fr") in alts, f'{where}: kskill:menuiserie needs altLabel "bois"@fr')
    for slug in ("ceramique", "serigraphie", "couture", "photographie", "mediation-numerique",
                 "developpement-web", "graphisme", "reparation-ordinateurs", "reemploi", "electricite",
                 "soudure", "regie-son", "regie-lumiere", "comptabilite", "montage-de-projets",
                 "communication", "fle"):
        ok(KSKILL[slug] in concepts, f"{where}: expected concept kskill:{slug}")
    related = sum(1 for _ in skills.triples((None, SKOS.related, None))) // 2
    ok(related >= 3, f"{where}: want a few skos:related cross-links (found {related})")
    return dict(concepts=concepts, depth=depth, related=related)


# --------------------------------------------------------------------------------------------
# 3. IRIs used across files
# --------------------------------------------------------------------------------------------

def load_json_context(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)["@context"]


def known_schema_terms():
    p = SHARED_CONTEXTS / "schemaorg.jsonld"
    if not p.exists():
        notes.append(f"schema.org term check skipped ({p} not found)")
        return None
    ctx = load_json_context(p)
    terms = set()
    for k, v in ctx.items():
        i = v.get("@id") if isinstance(v, dict) else v
        if isinstance(i, str) and i.startswith("schema:"):
            terms.add(i[len("schema:"):])
    return terms


def known_as_terms(as_ctx):
    terms = set()
    for v in as_ctx.values():
        i = v.get("@id") if isinstance(v, dict) else v
        if isinstance(i, str) and i.startswith("as:"):
            terms.add(i[3:])
    return terms


def iris_in(g):
    for s, p, o in g:
        for t in (s, p, o):
            if isinstance(t, URIRef):
                yield t
            elif isinstance(t, Literal) and t.datatype is not None:
                yield t.datatype


def check_iris_used(named_graphs, onto_info, shape_nodes, schema_terms, as_terms, ctx):
    defined = onto_info["defined"] | shape_nodes
    used = []
    for name, g in named_graphs.items():
        used += [(name, t) for t in iris_in(g)]
    for k, v in ctx.items():
        if ":" in k and not k.startswith("@"):
            prefix, _, local = k.partition(":")
            base = ctx.get(prefix)
            if isinstance(base, str):
                used.append(("context.jsonld", URIRef(base + local)))
    for name, t in used:
        s = str(t)
        if s.startswith(str(KOMMON)):
            ok(t in defined, f"{name}: {curie(Graph(), t)} ({s}) is not defined in kommon.ttl or shapes.ttl")
        elif s.startswith(str(PAIR)):
            ok(s[len(str(PAIR)):] in PAIR_TERMS, f"{name}: unknown PAIR term {s}")
        elif s.startswith(str(SCHEMA)) and schema_terms is not None:
            ok(s[len(str(SCHEMA)):] in schema_terms, f"{name}: unknown schema.org term {s}")
        elif s.startswith(str(AS)) and as_terms is not None:
            ok(s[len(str(AS)):] in as_terms, f"{name}: unknown ActivityStreams term {s}")
        elif s.startswith("https://schema.org/"):
            fail(f"{name}: {s} uses https; Kommon uses http://schema.org/")


# --------------------------------------------------------------------------------------------
# 4. JSON-LD context
# --------------------------------------------------------------------------------------------

def normalise_def(ctx, v):
    """A term definition as (iri, type, container), expanding one level of prefixes."""
    if isinstance(v, str):
        v = {"@id": v}
    def exp(x):
        if isinstance(x, str) and ":" in x and not x.startswith(("http:", "https:", "@")):
            p, _, l = x.partition(":")
            if isinstance(ctx.get(p), str):
                return ctx[p] + l
        return x
    return (exp(v.get("@id")), exp(v.get("@type")), v.get("@container"))


def check_context(ctx, as_ctx, onto, onto_info):
    where = "context.jsonld"
    if not ok(isinstance(ctx, dict), f"{where}: the value of @context must be an object"):
        return
    ok(ctx.get("@version") == 1.1, f'{where}: "@version": 1.1 is required')
    ok("@vocab" not in ctx, f"{where}: must not set @vocab (the ActivityStreams context sets it)")
    for p, iri in REQUIRED_PREFIXES.items():
        ok(ctx.get(p) == iri, f"{where}: prefix {p} must be {iri} (found {ctx.get(p)!r})")
    for k, v in ctx.items():
        if k.startswith("@"):
            continue
        if ":" not in k:
            ok(isinstance(v, str) and v[-1] in "#/", f"{where}: unprefixed term {k!r} (only prefixes may be unprefixed)")
        else:
            ok(isinstance(v, dict) and set(v) <= {"@type"}, f"{where}: {k} should only carry @type")
            t = v.get("@type") if isinstance(v, dict) else None
            ok(t == "@id" or (isinstance(t, str) and t.startswith("xsd:")), f"{where}: {k} has unexpected @type {t!r}")
    if as_ctx is not None:
        for k, v in ctx.items():
            if k in as_ctx and not k.startswith("@"):
                ok(normalise_def(ctx, v) == normalise_def(as_ctx, as_ctx[k]),
                   f"{where}: {k!r} conflicts with the ActivityStreams context")
    for p in onto_info["obj_props"]:
        key = "kommon:" + str(p)[len(str(KOMMON)):]
        ok(ctx.get(key) == {"@type": "@id"}, f'{where}: {key} needs {{"@type": "@id"}}')
    for p in onto_info["dt_props"]:
        key = "kommon:" + str(p)[len(str(KOMMON)):]
        rng = onto.value(p, RDFS.range)
        want = "xsd:" + str(rng)[len(str(XSD)):] if rng is not None else None
        ok(isinstance(ctx.get(key), dict) and ctx[key].get("@type") == want, f"{where}: {key} needs @type {want}")


# --------------------------------------------------------------------------------------------
# 5. Shapes
# --------------------------------------------------------------------------------------------

def check_shapes(shapes):
    where = "shapes.ttl"
    node_shapes = set(shapes.subjects(RDF.type, SH.NodeShape))
    prop_shapes = set(shapes.objects(None, SH.property))
    for s, p, o in shapes:
        ok(p in SHAPES_ALLOWED, f"{where}: {curie(shapes, p)} is outside the supported SHACL subset")
    for ps in prop_shapes:
        path = shapes.value(ps, SH.path)
        ok(isinstance(path, URIRef), f"{where}: a property shape has a non-IRI sh:path ({path})")
        label = curie(shapes, path) if isinstance(path, URIRef) else str(path)
        one_per_lang(shapes, ps, SH.name, "sh:name", f"{where} [{label}]")
        one_per_lang(shapes, ps, SH.message, "sh:message", f"{where} [{label}]")
        for n in shapes.objects(ps, SH.node):
            ok(n in node_shapes, f"{where}: sh:node {curie(shapes, n)} is not a NodeShape of the file")
        for lt in shapes.objects(ps, SH.lessThan):
            ok(isinstance(lt, URIRef), f"{where}: sh:lessThan must name a property")
    for ns in node_shapes:
        one_per_lang(shapes, ns, RDFS.label, "rdfs:label", where)
        ok(any(True for _ in shapes.objects(ns, SH.property)), f"{where}: {curie(shapes, ns)} has no property shape")
    targets = set(shapes.objects(None, SH.targetClass))
    for t in REQUIRED_SHAPE_TARGETS:
        ok(t in targets, f"{where}: no NodeShape targets {curie(shapes, t)}")
    scs = KOMMON.SkillConceptShape
    ok(any(shapes.value(ps, SH.hasValue) == SKILLS_SCHEME and shapes.value(ps, SH.path) == SKOS.inScheme
           for ps in shapes.objects(scs, SH.property)),
       f"{where}: kommon:SkillConceptShape must require skos:inScheme <{SKILLS_SCHEME}>")
    for ps in prop_shapes:
        if shapes.value(ps, SH.path) == SCHEMA.skills:
            ok((ps, SH["class"], SKOS.Concept) in shapes and (ps, SH.node, scs) in shapes,
               f"{where}: every schema:skills shape needs sh:class skos:Concept and sh:node kommon:SkillConceptShape")
    return dict(node_shapes=node_shapes, prop_shapes=prop_shapes, targets=targets)


def validate(data, shapes):
    conforms, results_graph, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=False, allow_warnings=False,
        meta_shacl=False, debug=False)
    results = []
    nested = set(results_graph.objects(None, SH.detail))
    for r in results_graph.subjects(RDF.type, SH.ValidationResult):
        if r in nested:  # details of an sh:node failure; the parent result carries the message
            continue
        msgs = {m.language: str(m) for m in results_graph.objects(r, SH.resultMessage) if isinstance(m, Literal)}
        results.append(dict(path=results_graph.value(r, SH.resultPath), focus=results_graph.value(r, SH.focusNode),
                            fr=msgs.get("fr"), en=msgs.get("en"),
                            component=results_graph.value(r, SH.sourceConstraintComponent)))
    return conforms, results


def with_vocab(g, onto, skills):
    data = Graph()
    for src in (g, onto, skills):
        for t in src:
            data.add(t)
    return data


def check_examples(onto, skills, shapes):
    counts = dict(valid=0, invalid=0)
    covered = set()
    for path in sorted((EXAMPLES / "valid").glob("*.ttl")):
        g = parse_ttl(path)
        covered |= set(g.objects(None, RDF.type))
        conforms, results = validate(with_vocab(g, onto, skills), shapes)
        counts["valid"] += 1
        if not conforms:
            for r in results:
                fail(f"{path.relative_to(HERE)}: unexpected violation on {curie(shapes, r['path'])}: {r['fr']}")
    for t in REQUIRED_SHAPE_TARGETS:
        ok(t in covered, f"examples/valid: no example of {curie(shapes, t)}")
    for path in sorted((EXAMPLES / "invalid").glob("*.ttl")):
        counts["invalid"] += 1
        first = path.read_text(encoding="utf-8").splitlines()[0]
        m = re.match(r"^# expect: (\S+) (.+)$", first)
        if not ok(m is not None, f"{path.relative_to(HERE)}: first line must be '# expect: <CURIE> <message>'"):
            continue
        exp_path, exp_msg = expand_curie(m.group(1)), m.group(2).strip()
        g = parse_ttl(path)
        conforms, results = validate(with_vocab(g, onto, skills), shapes)
        if not ok(not conforms, f"{path.relative_to(HERE)}: conforms, but should fail on {m.group(1)}"):
            continue
        ok(any(r["path"] == exp_path and r["fr"] == exp_msg for r in results),
           f"{path.relative_to(HERE)}: no result on {m.group(1)} with message {exp_msg!r}; got "
           + "; ".join(f"{curie(shapes, r['path'])}: {r['fr']}" for r in results))
        for r in results:
            ok(r["path"] == exp_path, f"{path.relative_to(HERE)}: extra violation on {curie(shapes, r['path'])}: {r['fr']}")
            ok(r["en"] is not None, f"{path.relative_to(HERE)}: result without an English message")
    ok(counts["invalid"] >= 6, f"examples/invalid: want at least 6 invalid examples (found {counts['invalid']})")
    return counts


# --------------------------------------------------------------------------------------------
# 6. JSON-LD samples
# --------------------------------------------------------------------------------------------

def make_loader():
    docs = {KOMMON_CONTEXT_URL: HERE / "context.jsonld",
            KOMMON_CONTEXT_URL.replace("https://w3id.org/kommon/", "https://w3id.org/kommon/"): HERE / "context.jsonld",
            AS_CONTEXT_URL: SHARED_CONTEXTS / "activitystreams.jsonld"}

    def loader(url, options=None):
        key = url.rstrip("#")
        if key not in docs:
            raise jsonld.JsonLdError(f"context {url} is not bundled", "loading document failed")
        with open(docs[key], encoding="utf-8") as f:
            return {"contextUrl": None, "documentUrl": url, "document": json.load(f)}
    return loader


NUMERIC = {XSD.double, XSD.float, XSD.decimal, XSD.integer, XSD.int, XSD.long, XSD.nonNegativeInteger}


def canonical(g):
    """Numeric literals compared by value (JSON numbers come out as 4.89283E1)."""
    out = Graph()
    for s, p, o in g:
        if isinstance(o, Literal) and o.datatype in NUMERIC:
            o = Literal(o.toPython(), datatype=o.datatype)
        out.add((s, p, o))
    return out


def nquads_graph(nq):
    g = Graph()
    g.parse(data=nq, format="nt")
    return g


def undefined_keys(node, where, out):
    if isinstance(node, dict):
        for k, v in node.items():
            if not k.startswith("@") and not re.match(r"^[a-z][a-z0-9+.-]*:", k) or k.startswith("_:"):
                out.append(f"{where}: key {k!r} did not expand to an IRI (term missing from the contexts)")
            undefined_keys(v, where, out)
    elif isinstance(node, list):
        for v in node:
            undefined_keys(v, where, out)


def bare_references(node, where, out, parent=None):
    if isinstance(node, dict):
        if parent is not None and set(node) == {"@id"}:
            out.append(f"{where}: {parent!r} compacts to {{\"@id\": ...}}; give it \"@type\": \"@id\" in the context")
        for k, v in node.items():
            bare_references(v, where, out, k if not k.startswith("@") else parent)
    elif isinstance(node, list):
        for v in node:
            bare_references(v, where, out, parent)


def check_jsonld_samples(onto, skills, shapes):
    if not (SHARED_CONTEXTS / "activitystreams.jsonld").exists():
        fail(f"JSON-LD checks need {SHARED_CONTEXTS / 'activitystreams.jsonld'} (set KOMMON_SHARED_CONTEXTS)")
        return 0
    loader = make_loader()
    opts = {"documentLoader": loader}
    n = 0
    for path in sorted((EXAMPLES / "jsonld").glob("*.jsonld")):
        n += 1
        rel = path.relative_to(HERE)
        doc = json.loads(path.read_text(encoding="utf-8"))
        ok(doc.get("@context") == [AS_CONTEXT_URL, KOMMON_CONTEXT_URL], f"{rel}: @context must be [AS, Kommon]")
        problems = []
        undefined_keys(jsonld.expand(doc, opts), rel, problems)
        for p in problems:
            fail(p)
        g1 = nquads_graph(jsonld.to_rdf(doc, dict(opts, format="application/n-quads")))
        twin = EXAMPLES / "valid" / (path.stem + ".ttl")
        if ok(twin.exists(), f"{rel}: no Turtle twin {twin.relative_to(HERE)}"):
            gt = parse_ttl(twin)
            iso_a, iso_b = to_isomorphic(canonical(g1)), to_isomorphic(canonical(gt))
            if not ok(iso_a == iso_b, f"{rel}: graph differs from {twin.relative_to(HERE)}"):
                _, only_json, only_ttl = graph_diff(iso_a, iso_b)
                for t in sorted(only_json, key=str)[:8]:
                    fail(f"  only in JSON-LD: {t}")
                for t in sorted(only_ttl, key=str)[:8]:
                    fail(f"  only in Turtle: {t}")
        # compact from RDF (what a server emits), then expand again: same graph, prefixed keys
        from_rdf = jsonld.from_rdf(jsonld.to_rdf(doc, dict(opts, format="application/n-quads")),
                                   {"format": "application/n-quads"})
        compacted = jsonld.compact(from_rdf, {"@context": [AS_CONTEXT_URL, KOMMON_CONTEXT_URL]}, opts)
        for k in _all_keys(compacted):
            ok(not k.startswith(("http://", "https://")), f"{rel}: compaction left a full IRI key {k}")
        refs = []
        bare_references(compacted, rel, refs)
        for r in refs:
            fail(r)
        g2 = nquads_graph(jsonld.to_rdf(compacted, dict(opts, format="application/n-quads")))
        ok(to_isomorphic(canonical(g1)) == to_isomorphic(canonical(g2)), f"{rel}: compact/expand round trip changes the graph")
        conforms, results = validate(with_vocab(g1, onto, skills), shapes)
        ok(conforms, f"{rel}: does not conform: " + "; ".join(f"{curie(shapes, r['path'])}: {r['fr']}" for r in results))
    ok(n >= 3, f"examples/jsonld: want resident profile, place and event samples (found {n})")
    return n


def _all_keys(node):
    if isinstance(node, dict):
        for k, v in node.items():
            yield k
            yield from _all_keys(v)
    elif isinstance(node, list):
        for v in node:
            yield from _all_keys(v)


# --------------------------------------------------------------------------------------------
# 7. Query builder (Sparnatural SHACL profile)
# --------------------------------------------------------------------------------------------

def check_query_builder(qb, skills):
    where = "query-builder.ttl"
    node_shapes = set(qb.subjects(RDF.type, SH.NodeShape))
    targeted = {}
    for ns in node_shapes:
        one_per_lang(qb, ns, RDFS.label, "rdfs:label", where)
        ts = list(qb.objects(ns, SH.targetClass))
        ok(len(ts) == 1, f"{where}: {curie(qb, ns)} needs exactly one sh:targetClass")
        for t in ts:
            ok(t not in targeted, f"{where}: two NodeShapes target {curie(qb, t)}")
            targeted[t] = ns
    for t in REQUIRED_QB_TARGETS:
        ok(t in targeted and any(True for _ in qb.objects(targeted[t], SH.property)),
           f"{where}: no queryable entity for {curie(qb, t)}")
    tree_ok = False
    n_props = 0
    for ns in node_shapes:
        for ps in qb.objects(ns, SH.property):
            n_props += 1
            ok(qb.value(ps, SH.path) is not None, f"{where}: {curie(qb, ps)} has no sh:path")
            one_per_lang(qb, ps, SH.name, "sh:name", where)
            w = qb.value(ps, DASH.searchWidget)
            ok(w is None or w in SPARNATURAL_WIDGETS, f"{where}: {curie(qb, ps)} unknown widget {w}")
            for c in qb.objects(ps, SH["class"]):
                ok(c in targeted, f"{where}: {curie(qb, ps)} range {curie(qb, c)} has no NodeShape")
            if w in (CORE.ListProperty, CORE.AutocompleteProperty):
                ok(qb.value(ps, DS.datasource) is not None, f"{where}: {curie(qb, ps)} needs a ds:datasource")
            if w == CORE.TreeProperty:
                roots = qb.value(ps, DS.treeRootsDatasource)
                ok(roots is not None and qb.value(ps, DS.treeChildrenDatasource) is not None,
                   f"{where}: {curie(qb, ps)} tree needs roots and children datasources")
                path_terms = set(_path_iris(qb, qb.value(ps, SH.path)))
                if SKOS.broader in path_terms and roots is not None:
                    tree_ok = True
                    q = qb.value(roots, DS.queryString)
                    if q is not None:
                        res = list(skills.query(str(q).replace("$lang", '"fr"')))
                        tops = set(skills.objects(SKILLS_SCHEME, SKOS.hasTopConcept))
                        ok({r[0] for r in res} == tops, f"{where}: the skills tree roots query does not return the top concepts")
    ok(tree_ok, f"{where}: the skills need a TreeProperty over skos:broader")
    return dict(node_shapes=len(node_shapes), props=n_props)


def _path_iris(g, node):
    if isinstance(node, URIRef):
        yield node
    elif isinstance(node, BNode):
        if g.value(node, RDF.first) is not None:
            for item in Collection(g, node):
                yield from _path_iris(g, item)
        for p in (SH.zeroOrMorePath, SH.oneOrMorePath, SH.inversePath, SH.zeroOrOnePath):
            v = g.value(node, p)
            if v is not None:
                yield from _path_iris(g, v)


# --------------------------------------------------------------------------------------------

def main():
    onto = parse_ttl(HERE / "kommon.ttl")
    skills = parse_ttl(HERE / "skills.ttl")
    shapes = parse_ttl(HERE / "shapes.ttl")
    qb = parse_ttl(HERE / "query-builder.ttl")
    try:
        ctx = load_json_context(HERE / "context.jsonld")
    except Exception as e:  # noqa: BLE001
        fail(f"context.jsonld: {e}")
        ctx = {}
    as_path = SHARED_CONTEXTS / "activitystreams.jsonld"
    as_ctx = load_json_context(as_path) if as_path.exists() else None
    if as_ctx is None:
        fail(f"{as_path} not found: cannot check conflicts with the ActivityStreams context")

    onto_info = check_ontology(onto)
    skill_info = check_skills(skills)
    check_context(ctx, as_ctx, onto, onto_info)
    shape_info = check_shapes(shapes)

    graphs = {"kommon.ttl": onto, "skills.ttl": skills, "shapes.ttl": shapes, "query-builder.ttl": qb}
    for sub in ("valid", "invalid"):
        for p in sorted((EXAMPLES / sub).glob("*.ttl")):
            graphs[str(p.relative_to(HERE))] = parse_ttl(p)
    check_iris_used(graphs, onto_info, shape_info["node_shapes"], known_schema_terms(),
                    known_as_terms(as_ctx) if as_ctx else None, ctx)

    ex = check_examples(onto, skills, shapes)
    n_jsonld = check_jsonld_samples(onto, skills, shapes)
    qb_info = check_query_builder(qb, skills)

    scheme_counts = {curie(onto, s): sum(1 for c in onto_info["concepts"] if (c, SKOS.inScheme, s) in onto)
                     for s in sorted(onto_info["schemes"])}
    depth_hist = {}
    for d in skill_info["depth"].values():
        depth_hist[d] = depth_hist.get(d, 0) + 1
    print("Kommon vocabulary")
    print(f"  kommon.ttl : {len(onto_info['classes'])} classes, {len(onto_info['obj_props'])} object properties, "
          f"{len(onto_info['dt_props'])} datatype properties, {len(onto_info['schemes'])} concept schemes")
    for s, n in scheme_counts.items():
        print(f"               {s}: {n} concepts")
    print(f"  skills.ttl : {len(skill_info['concepts'])} concepts; per level "
          + ", ".join(f"{k}: {v}" for k, v in sorted(depth_hist.items()))
          + f"; {skill_info['related']} related pairs")
    print(f"  shapes.ttl : {len(shape_info['node_shapes'])} node shapes, {len(shape_info['prop_shapes'])} property shapes, "
          f"{len(shape_info['targets'])} target classes")
    print(f"  query-builder.ttl : {qb_info['node_shapes']} node shapes, {qb_info['props']} property shapes")
    print(f"  examples   : {ex['valid']} valid, {ex['invalid']} invalid, {n_jsonld} JSON-LD samples")
    for n in notes:
        print(f"  note: {n}")
    if failures:
        print(f"\n{len(failures)} failure(s):", file=sys.stderr)
        for f_ in failures:
            print(f"  - {f_}", file=sys.stderr)
        return 1
    print("\nAll checks passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
