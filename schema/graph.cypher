// adr_graph graph schema for Bolt stores (Neo4j 5, ArcadeDB's Bolt endpoint).
// Applied by Neo4jStore.ensure_schema(); every statement is idempotent (IF NOT EXISTS)
// and named, so re-running it changes nothing. Statements end with ';'.
CREATE CONSTRAINT atom_id IF NOT EXISTS FOR (a:Atom) REQUIRE a.id IS UNIQUE;
CREATE CONSTRAINT seed_id IF NOT EXISTS FOR (s:Seed) REQUIRE s.id IS UNIQUE;
CREATE INDEX atom_slot IF NOT EXISTS FOR (a:Atom) ON (a.slot);
CREATE INDEX atom_domain IF NOT EXISTS FOR (a:Atom) ON (a.domain);
CREATE INDEX seed_domain IF NOT EXISTS FOR (s:Seed) ON (s.domain);
