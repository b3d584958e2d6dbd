// The robot's buttons ride in the message text, so every channel can show them as plain text:
// a prompt, then a last line made only of 【option】 groups ("热门问题\n【包邮吗】【发什么快递】").
// The server refuses options containing 【】 or line breaks, so splitting them back is safe;
// the options are rendered as text (never markup).
export interface RobotButtons {
  text: string;
  options: string[];
}

const LINE = /^(?:【[^【】\n]{1,60}】)+$/u;

export function splitButtons(from: string, text: string): RobotButtons {
  if (from !== 'robot' && from !== 'auto') return { text, options: [] };
  const cut = text.lastIndexOf('\n');
  const last = text.slice(cut + 1).trim();
  if (!LINE.test(last)) return { text, options: [] };
  const options = [...last.matchAll(/【([^【】\n]+)】/gu)].map((m) => m[1]);
  return { text: cut >= 0 ? text.slice(0, cut).trim() : '', options };
}
