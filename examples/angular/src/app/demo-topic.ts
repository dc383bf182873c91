/** The topic both views show and the form publishes to. */
export const DEMO_TOPIC = 'demo/angular/value';
