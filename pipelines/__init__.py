"""Payback: what a customer costs to win and what it is worth, from CRM, ad and cost exports."""
