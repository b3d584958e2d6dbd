import { describe, expect, it } from 'vitest';
import { splitButtons } from '../robotButtons';

describe('splitButtons', () => {
  it('splits the menu line of a robot message into options', () => {
    expect(splitButtons('auto', '请选择您要办理的业务\n【查物流】【催发货】【改地址】')).toEqual({
      text: '请选择您要办理的业务',
      options: ['查物流', '催发货', '改地址'],
    });
  });
  it('leaves buyer and agent messages alone, even with brackets', () => {
    expect(splitButtons('agent', '选项\n【A】【B】').options).toEqual([]);
    expect(splitButtons('buyer', '【A】').options).toEqual([]);
  });
  it('needs the whole last line to be buttons', () => {
    expect(splitButtons('robot', '您好\n请看【尺码表】哦').options).toEqual([]);
    expect(splitButtons('robot', '【促销】今天满减').options).toEqual([]);
  });
  it('keeps markup-like options as plain strings', () => {
    const r = splitButtons('robot', '热门问题\n【<img src=x onerror=alert(1)>】');
    expect(r.options).toEqual(['<img src=x onerror=alert(1)>']);
    expect(r.text).toBe('热门问题');
  });
});
