export {
  type AuthenticateOptions,
  type Authenticator,
  type AuthenticatorOptions,
  createAuthenticator,
} from "./create-authenticator.ts";
export { createJwtVerifier, type JwtVerifier } from "./create-jwt-verifier.ts";
export {
  createListenTickets,
  type IssuedListenTicket,
  type ListenTicketGrant,
  type ListenTickets,
  TICKET_PREFIX,
} from "./create-listen-tickets.ts";
export {
  createSettingsTokens,
  type IssuedSettingsToken,
  isSettingsToken,
  SETTINGS_AUDIENCE,
  SETTINGS_KEY_INFO,
  SETTINGS_TOKEN_PREFIX,
  SETTINGS_TTL,
  type SettingsTokens,
  type SettingsTokensOptions,
} from "./create-settings-tokens.ts";
export { createUserAdmin, type UserAdmin, type UserAdminOptions } from "./create-user-admin.ts";
export { createGatewayToken, hashToken, TOKEN_PREFIX } from "./gateway-tokens.ts";
export { isUserId, type Principal, USER_ID_PATTERN } from "./principal.ts";
