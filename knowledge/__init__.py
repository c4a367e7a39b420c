"""Knowledge base of regulation documents: structure-aware passages, a domain-aware index, cited answers."""
from knowledge.base import KnowledgeBase, KnowledgeBaseError

__all__ = ["KnowledgeBase", "KnowledgeBaseError"]
