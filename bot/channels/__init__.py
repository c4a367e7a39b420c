"""Channel adapters: each turns a platform's callback into a neutral Message and renders the Reply back."""
