/**
 * The data type of each MQTT 5 property (2.2.2.2, Table 2-4), as the codec knows it: mqtt-packet's
 * own table, so the sizes the session checks and the bytes mqtt-packet reads cannot disagree.
 */
import constants from 'mqtt-packet/constants.js';

export type PropertyType = 'byte' | 'int8' | 'int16' | 'int32' | 'var' | 'string' | 'binary' | 'pair';

/** The type of the property named `name` in decoded packets, or undefined for a name the codec does not know. */
export function propertyType(name: string): PropertyType | undefined {
  return Object.prototype.hasOwnProperty.call(constants.propertiesTypes, name) ? constants.propertiesTypes[name] : undefined;
}
