"""CRM's surface for other domains (and their seeds): the customers a sales document may
be raised for, creating and listing customers, and the activities due on a day (the
notifications schedule). Everything else of CRM is reached through the graph. Problems
carry paths relative to each function's arguments."""

from subgraphs.crm.customers import (
    CustomerFields,
    CustomerNotOrderable,
    create_customer,
    get_customer,
    get_orderable_customer,
    set_customer_status,
)
from subgraphs.crm.models import Customer, CustomerStatus
from subgraphs.crm.reads import CustomerFilter, DueActivity, activities_due, list_customers

__all__ = [
    "Customer",
    "CustomerFields",
    "CustomerFilter",
    "CustomerNotOrderable",
    "CustomerStatus",
    "DueActivity",
    "activities_due",
    "create_customer",
    "get_customer",
    "get_orderable_customer",
    "list_customers",
    "set_customer_status",
]
