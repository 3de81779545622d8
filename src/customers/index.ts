// Customers: the tenants. Organisations the provider serves, their contacts, and the partners
// that resell to them. Other modules scope their data by customer id; this module resolves
// which customers a customer-bound actor may see. It knows nothing of endpoints or incidents.
export { createCustomers, type Customers, type CustomerListRequest } from './service.js'
export {
  contactRoles,
  customerKinds,
  ContactInputSchema,
  ContactPatchSchema,
  CustomerInputSchema,
  CustomerPatchSchema,
  type Contact,
  type ContactRole,
  type Customer,
  type CustomerKind,
  type CustomerWithContacts,
} from './model.js'
export { customerRoutes } from './routes.js'
