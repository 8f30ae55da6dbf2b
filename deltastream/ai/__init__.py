"""The AI analyst context: market pulse, sentiment and a cited RAG chat (owns no table)."""
