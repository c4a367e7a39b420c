"""Knowledge base of regulation documents (placeholder until the index lands)."""


class KnowledgeBase:
    """Search and cited answers over the indexed documents."""

    @classmethod
    def open(cls, sessions):
        """Open the knowledge base stored in the database, loading the bundled corpus on first start."""
        return cls()

    def search(self, query: str, k: int = 5) -> list:
        """Best passages for a query, best first, as bot.message.Source."""
        return []
