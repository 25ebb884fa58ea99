import type { OperationDoc } from '../../http/openapi.js';
import { outletBody, outletDtoSchema, outletParams } from '../../integrations/gofood/route.js';
import { providerDtoSchema } from '../../integrations/onebasket/providers.js';
import { providerParams } from '../../integrations/onebasket/route.js';
import { providerBody } from '../../integrations/onebasket/schema.js';
import { codeParam, stockBody, warehouseBody, warehouseDtoSchema } from '../routes/admin-warehouses.js';
import { admin } from './shared.js';

/** What an operator configures: OneBasket providers, warehouses and their stock, GoFood outlets. */
export const configurationOperations: OperationDoc[] = [
  {
    method: 'put',
    path: '/admin/providers/:providerId',
    tag: 'configuration',
    summary: 'Register or update a OneBasket provider (its API and callback token)',
    ...admin,
    params: providerParams,
    body: providerBody,
    responses: { 200: { description: 'The provider', body: providerDtoSchema } },
    errors: [400, 401, 415],
  },
  {
    method: 'get',
    path: '/admin/providers/:providerId',
    tag: 'configuration',
    summary: 'A registered OneBasket provider',
    ...admin,
    params: providerParams,
    responses: { 200: { description: 'The provider', body: providerDtoSchema } },
    errors: [400, 401, 404],
  },
  {
    method: 'get',
    path: '/admin/warehouses/:code',
    tag: 'configuration',
    summary: 'A warehouse, its store ids per channel and its stock',
    ...admin,
    params: codeParam,
    responses: { 200: { description: 'The warehouse', body: warehouseDtoSchema } },
    errors: [400, 401, 404],
  },
  {
    method: 'put',
    path: '/admin/warehouses/:code',
    tag: 'configuration',
    summary: 'Create or update a warehouse and the channel store ids it serves',
    ...admin,
    params: codeParam,
    body: warehouseBody,
    responses: { 200: { description: 'The warehouse', body: warehouseDtoSchema } },
    errors: [400, 401, 409, 415],
  },
  {
    method: 'put',
    path: '/admin/warehouses/:code/stock',
    tag: 'configuration',
    summary: 'Set on-hand quantities (units, or grams for weight-priced SKUs)',
    ...admin,
    params: codeParam,
    body: stockBody,
    responses: { 200: { description: 'The warehouse', body: warehouseDtoSchema } },
    errors: [400, 401, 404, 415],
  },
  {
    method: 'get',
    path: '/admin/gofood/outlets/:outletId',
    tag: 'configuration',
    summary: "A GoFood outlet's acceptance mode and warehouse",
    ...admin,
    params: outletParams,
    responses: { 200: { description: 'The outlet', body: outletDtoSchema } },
    errors: [400, 401, 404],
  },
  {
    method: 'put',
    path: '/admin/gofood/outlets/:outletId',
    tag: 'configuration',
    summary: "Set a GoFood outlet's acceptance mode and warehouse",
    ...admin,
    params: outletParams,
    body: outletBody,
    responses: { 200: { description: 'The outlet', body: outletDtoSchema } },
    errors: [400, 401, 415],
  },
];
