"""partyquiz: Jupyter-based distance education and quizzes for party-member education."""
__version__ = "0.1.0"
