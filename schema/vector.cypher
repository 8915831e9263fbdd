// Optional vector index on atom embeddings (Neo4j 5.13+). Servers without vector
// indexes (ArcadeDB's Bolt endpoint) reject it; ensure_schema() then logs and goes on,
// since nearest-neighbour search runs in faiss anyway. {dimensions} is filled in by
// Neo4jStore from the embedding width (a literal: index options take no parameters).
CREATE VECTOR INDEX atom_embedding IF NOT EXISTS FOR (a:Atom) ON (a.embedding)
OPTIONS {indexConfig: {`vector.dimensions`: {dimensions}, `vector.similarity_function`: 'cosine'}};
