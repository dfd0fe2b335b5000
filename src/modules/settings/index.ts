/** The regional rule settings (tier direction, look-back), versioned: owns rule_sets. */
export { currentRuleSet, type StoredRuleSet } from './repository.ts';
export { settingsRoutes } from './routes.ts';
export { createSettingsService, type SettingsService } from './service.ts';
