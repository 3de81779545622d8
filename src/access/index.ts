// Access: who may do what. API tokens (random, shown once, stored hashed), users, roles, the
// tenant scope of customer-bound actors, and the requirement each route or command declares.
// Sessions, passwords and MFA for the web UI come with the UI; this module does not log in.
export { createAccess, type Access, type IssuedToken } from './service.js'
export { permits, staffUserProblem, TokenInputSchema, UserInputSchema, type AccessRequirement, type ApiToken, type StaffRole, type User } from './model.js'
export { accessRoutes } from './routes.js'
