import { describe, expect, it } from 'vitest';
import type { ReplyTemplate } from '@/api/templates';
import { filterTemplates, groupByScene, insertAt, templateParts, unfilledVariables } from '../templates';

const NAMES = ['买家昵称', '订单号', '发货时间'];

function tpl(id: string, scene: ReplyTemplate['scene'], title: string, text: string): ReplyTemplate {
  return { id, shop: 's1', scene, title, text, variables: [], updated_by: 'u', updated_by_name: 'u', created_at: '', updated_at: '' };
}
const items = [
  tpl('a', 'payment_reminder', '催付提醒', '亲，{订单号}还没付款哦'),
  tpl('b', 'shipping_notice', '发货通知 VIP', '亲，{订单号}已于{发货时间}发出'),
  tpl('c', 'shipping_notice', '物流安抚', '包裹在路上了'),
];

describe('filterTemplates', () => {
  it('matches every term in the title or text, ignoring case', () => {
    expect(filterTemplates(items, '').map((t) => t.id)).toEqual(['a', 'b', 'c']);
    expect(filterTemplates(items, '亲').map((t) => t.id)).toEqual(['a', 'b']);
    expect(filterTemplates(items, 'vip').map((t) => t.id)).toEqual(['b']);
    expect(filterTemplates(items, '亲 发出').map((t) => t.id)).toEqual(['b']);
    expect(filterTemplates(items, '退款')).toEqual([]);
  });
  it('narrows to a scene', () => {
    expect(filterTemplates(items, '', 'shipping_notice').map((t) => t.id)).toEqual(['b', 'c']);
    expect(filterTemplates(items, '亲', 'shipping_notice').map((t) => t.id)).toEqual(['b']);
    expect(filterTemplates(items, '', '').map((t) => t.id)).toEqual(['a', 'b', 'c']);
  });
});

describe('groupByScene', () => {
  it('keeps the scene order and leaves empty scenes out', () => {
    const g = groupByScene(items, ['general', 'shipping_notice', 'payment_reminder']);
    expect(g.map((x) => [x.scene, x.items.map((t) => t.id)])).toEqual([
      ['shipping_notice', ['b', 'c']],
      ['payment_reminder', ['a']],
    ]);
  });
});

describe('insertAt', () => {
  it('replaces the selection and puts the caret after the insertion', () => {
    expect(insertAt('亲，您好', '{买家昵称}', 1, 1)).toEqual({ text: '亲{买家昵称}，您好', caret: 7 });
    expect(insertAt('abcdef', 'X', 2, 4)).toEqual({ text: 'abXef', caret: 3 });
  });
  it('appends when there is no usable selection', () => {
    expect(insertAt('ab', 'X')).toEqual({ text: 'abX', caret: 3 });
    expect(insertAt('ab', 'X', 9, 9)).toEqual({ text: 'abX', caret: 3 });
    expect(insertAt('', '亲，已发货')).toEqual({ text: '亲，已发货', caret: 5 });
  });
});

describe('unfilledVariables', () => {
  it('lists known variables still written in braces, once each', () => {
    expect(unfilledVariables('亲，订单{订单号}已于{发货时间}发出，{订单号}', NAMES)).toEqual(['订单号', '发货时间']);
    expect(unfilledVariables('亲，订单240611已发出', NAMES)).toEqual([]);
    expect(unfilledVariables('暗号{VIP}和{手机号}', NAMES)).toEqual([]);
  });
});

describe('templateParts', () => {
  it('cuts known variables out of the literal text', () => {
    expect(templateParts('亲爱的{买家昵称}，订单{订单号}', NAMES)).toEqual([
      { text: '亲爱的', variable: false },
      { text: '买家昵称', variable: true },
      { text: '，订单', variable: false },
      { text: '订单号', variable: true },
    ]);
  });
  it('reads doubled braces as one and leaves unknown names literal', () => {
    expect(templateParts('{{VIP}}{未知}{订单号}', NAMES)).toEqual([
      { text: '{VIP}{未知}', variable: false },
      { text: '订单号', variable: true },
    ]);
  });
});
